// A complete AutoArr provider plugin in C++ with the SDK helper: it answers
// every chat request with the number of messages it received, and streams.
#include <autoarr/provider.hpp>
#include <memory>
#include <string>

namespace {

class EchoProvider final : public autoarr::sdk::Provider {
public:
    static std::unique_ptr<EchoProvider> create(std::string_view) { return std::make_unique<EchoProvider>(); }

    autoarr::sdk::Capabilities capabilities() const override {
        return {AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE, 0};
    }
    std::string health(const autoarr::sdk::Call&) override { return R"({"status":"healthy","models":["echo"]})"; }
    std::string complete(const autoarr::sdk::Call& call, std::string_view request) override {
        if (call.cancelled()) throw autoarr::sdk::Error(AUTOARR_ERR_CANCELLED, "cancelled");
        return R"({"content":"received )" + std::to_string(request.size()) +
               R"( bytes","model":"echo","finish_reason":"stop"})";
    }
    void stream(const autoarr::sdk::Call&, std::string_view, autoarr::sdk::StreamWriter& out) override {
        for (const char* word : {"hello ", "from ", "C++"})
            if (!out.text(word)) return;  // the host asked to stop: return, and the helper answers CANCELLED (ABI-21)
        out.done(R"({"model":"echo","finish_reason":"stop"})");
    }
};

}  // namespace

#ifndef AUTOARR_EXAMPLE_ID
#define AUTOARR_EXAMPLE_ID "cpp-echo"
#endif
AUTOARR_DEFINE_PROVIDER(EchoProvider, AUTOARR_EXAMPLE_ID, "Echo (C++ example)", "1.0.0", "a complete C++ example", 500)
