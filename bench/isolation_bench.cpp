// The added cost of process isolation (docs/benchmarks.md "Plugin isolation"):
// the same plugin (a real .so) in-process and in a runner, called one at a
// time; p50 of a complete() call, of the time to the first streamed event,
// and the runner's idle RSS; beside them the floor, a bare socketpair round
// trip to a child process (two wake-ups, what no channel design goes under).
// usage: bench_isolation [calls]
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "plugin/instance.h"
#include "plugin/isolation/remote_plugin.h"
#include "plugin/plugin_registry.h"
#include "support/plugin_dir.h"

using namespace autoarr;
using namespace autoarr::plugin;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kRequest = R"({"messages":[{"role":"user","content":"hello"}]})";

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * (v.size() - 1))];
}

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

struct Result {
    double complete_p50, complete_p99, first_event_p50, first_event_p99;
};

Result measure(Instance& inst, int calls) {
    std::vector<double> complete, first;
    complete.reserve(calls);
    first.reserve(calls);
    for (int i = 0; i < calls + calls / 10; ++i) {  // the first tenth warms up and is not counted
        CallContext ctx;
        std::string out;
        auto t0 = Clock::now();
        auto st = inst.complete(ctx, kRequest, out);
        auto t1 = Clock::now();
        if (!st.ok()) std::fprintf(stderr, "complete failed: %s\n", st.message.c_str());
        Clock::time_point got{};
        auto t2 = Clock::now();
        inst.stream(ctx, kRequest, [&](uint32_t, std::string_view) {
            if (got == Clock::time_point{}) got = Clock::now();
            return true;
        });
        if (i < calls / 10) continue;
        complete.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        first.push_back(std::chrono::duration<double, std::micro>(got - t2).count());
    }
    return {percentile(complete, 0.5), percentile(complete, 0.99), percentile(first, 0.5), percentile(first, 0.99)};
}

// p50 of an 8-byte write and its echo from a child process over a socketpair.
double floor_p50(int rounds) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(sv[0]);
        char b[8];
        while (::read(sv[1], b, sizeof b) == static_cast<ssize_t>(sizeof b))
            if (::write(sv[1], b, sizeof b) != static_cast<ssize_t>(sizeof b)) break;
        _exit(0);
    }
    ::close(sv[1]);
    std::vector<double> t;
    t.reserve(rounds);
    char b[8] = {};
    for (int i = 0; i < rounds + rounds / 10; ++i) {
        const auto t0 = Clock::now();
        if (::write(sv[0], b, sizeof b) != static_cast<ssize_t>(sizeof b) ||
            ::read(sv[0], b, sizeof b) != static_cast<ssize_t>(sizeof b))
            break;
        if (i >= rounds / 10) t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    ::close(sv[0]);
    ::waitpid(child, nullptr, 0);
    return t.empty() ? -1 : percentile(t, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
    const int calls = argc > 1 ? std::atoi(argv[1]) : 20000;
    test::TempDir dir;
    test::install_fixture(dir.path() / "in", "p", "fixture_fault_segv", "fault-segv");
    test::install_fixture(dir.path() / "out", "p", "fixture_fault_segv", "fault-segv");
    SearchDir in{dir.path() / "in", "bench"}, out{dir.path() / "out", "bench"};
    in.default_isolation = "in-process";
    out.default_isolation = "process";
    auto local = PluginRegistry::discover({in});
    auto remote = PluginRegistry::discover({out});
    CallStatus st;
    auto a = Instance::create(local.find("fault-segv"), "{}", st);
    auto b = Instance::create(remote.find("fault-segv"), "{}", st);
    if (!a || !b) {
        std::fprintf(stderr, "cannot create the instances: %s\n", st.message.c_str());
        return 1;
    }
    const pid_t pid = remote.find("fault-segv")->remote()->pid();
    const long idle_rss = rss_kib(pid);
    Result r_in = measure(*a, calls);
    Result r_out = measure(*b, calls);
    const double floor = floor_p50(calls);
    std::printf("calls per mode: %d (concurrency 1)\n", calls);
    std::printf("| | in-process | process | added |\n|---|---|---|---|\n");
    std::printf("| complete p50 | %.1f us | %.1f us | %.1f us |\n", r_in.complete_p50, r_out.complete_p50,
                r_out.complete_p50 - r_in.complete_p50);
    std::printf("| complete p99 | %.1f us | %.1f us | %.1f us |\n", r_in.complete_p99, r_out.complete_p99,
                r_out.complete_p99 - r_in.complete_p99);
    std::printf("| stream, first event p50 | %.1f us | %.1f us | %.1f us |\n", r_in.first_event_p50,
                r_out.first_event_p50, r_out.first_event_p50 - r_in.first_event_p50);
    std::printf("| stream, first event p99 | %.1f us | %.1f us | %.1f us |\n", r_in.first_event_p99,
                r_out.first_event_p99, r_out.first_event_p99 - r_in.first_event_p99);
    std::printf("| floor: socketpair round trip p50 | | %.1f us | |\n", floor);
    std::printf("runner idle RSS: %ld KiB after load; %ld KiB after the calls\n", idle_rss, rss_kib(pid));
    return 0;
}
