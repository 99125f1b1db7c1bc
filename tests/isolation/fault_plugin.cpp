// A provider that behaves until a request contains "trigger-fault", then
// fails in the one way FAULT_KIND names, the ways a third-party plugin can
// take a host down (tests/isolation/fault_test.cpp):
//   segv    dereferences NULL in complete        abort   aborts in stream after two deltas
//   loop    loops forever, ignoring cancel        alloc   allocates without bound
//   exit    exit(0) in the middle of complete     close   closes every socket (the channel)
//   frame   writes a malformed frame              thread  leaks a thread that never ends
//   partial writes the start of a frame, then nothing more (and ignores cancellation)
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <autoarr/provider.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifndef FAULT_KIND
#error "FAULT_KIND must name the fault"
#endif
#ifndef FAULT_ID
#error "FAULT_ID must name the plugin id"
#endif

namespace {

bool is(const char* kind) {
    return std::strcmp(FAULT_KIND, kind) == 0;
}

// Every socket this process holds: in a runner, that is the channel.
std::vector<int> sockets() {
    std::vector<int> out;
    for (int fd = 0; fd < 1024; ++fd) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) out.push_back(fd);
    }
    return out;
}

[[noreturn]] void park_forever() {
    while (true) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// Not instrumented: in sanitizer builds the faults must reach the kernel as they would in a
// release build (a real SIGSEGV), not end in a sanitizer's report.
__attribute__((no_sanitize("address", "undefined"))) void fail_now() {
    if (is("segv")) {
        volatile int* p = nullptr;
        *p = 1;
    } else if (is("loop")) {
        park_forever();  // never looks at cancellation or the deadline
    } else if (is("alloc")) {
        // Like much code, never checks malloc: at the limit it writes through the NULL it got.
        // Under RLIMIT_AS the address space is what runs out, so only a page of each block is
        // touched (quick); a sanitizer build is limited by resident memory, so it touches all.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        const std::size_t touched = 16 << 20;
#else
        const std::size_t touched = 4096;
#endif
        std::vector<char*> hoard;
        while (true) {
            char* block = static_cast<char*>(std::malloc(16 << 20));
            std::memset(block, 1, touched);
            hoard.push_back(block);
        }
    } else if (is("exit")) {
        std::exit(0);
    } else if (is("close")) {
        for (int fd : sockets()) {
            ::shutdown(fd, SHUT_RDWR);
            ::close(fd);
        }
        park_forever();
    } else if (is("frame")) {
        // A header claiming a 4 GiB frame of an unknown type.
        const char garbage[] = "\xff\xff\xff\xff\x7f garbage";
        for (int fd : sockets()) (void)!::write(fd, garbage, sizeof garbage - 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } else if (is("partial")) {
        // A length promising a 32-byte frame, then silence: the host must not wait for the rest.
        const char start[] = "\x20\x00\x00\x00";
        for (int fd : sockets()) (void)!::write(fd, start, sizeof start - 1);
        park_forever();
    } else if (is("thread")) {
        std::thread(park_forever).detach();
    }
}

class FaultProvider final : public autoarr::sdk::Provider {
public:
    static std::unique_ptr<FaultProvider> create(std::string_view) { return std::make_unique<FaultProvider>(); }

    autoarr::sdk::Capabilities capabilities() const override {
        return {AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE, 0};
    }
    std::string health(const autoarr::sdk::Call&) override { return R"({"status":"healthy","models":["fault"]})"; }
    std::string complete(const autoarr::sdk::Call&, std::string_view request) override {
        if (request.find("trigger-fault") != std::string_view::npos) fail_now();
        return R"({"content":")" FAULT_ID R"( answered","model":"fault","finish_reason":"stop"})";
    }
    void stream(const autoarr::sdk::Call&, std::string_view request, autoarr::sdk::StreamWriter& out) override {
        const bool fault = request.find("trigger-fault") != std::string_view::npos;
        for (const char* word : {"first ", "second "})
            if (!out.text(word)) return;
        if (fault && is("abort")) std::abort();
        if (fault) fail_now();
        out.done(R"({"model":"fault","finish_reason":"stop"})");
    }
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(FaultProvider, FAULT_ID, "Fault fixture " FAULT_KIND, "1.0.0", "fails on purpose", 300)
