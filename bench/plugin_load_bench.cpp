// Discovery + manifest + checks + dlopen + negotiation + startup for N
// plugins. Each plugin is a distinct file (its own inode), so every
// iteration is a real dlopen, not a reference-count bump: the directory is
// rebuilt with fresh copies for every iteration, outside the timed region.
#include <benchmark/benchmark.h>

#include <cstring>

#include "plugin/plugin_registry.h"
#include "support/plugin_dir.h"
#include "util/log.h"

namespace {

using namespace autoarr;

// Copies the good C fixture as plugin `id` (6 characters): the id string
// "good-c" inside the binary is replaced, so each copy is a distinct library
// whose negotiated id matches its manifest (ABI-7).
void install_copy(const std::filesystem::path& root, const std::string& id) {
    auto dir = test::install_fixture(root, id, "fixture_good_c", id);
    auto lib = dir / "libfixture_good_c.so";
    std::string bytes = test::read_file(lib);
    for (std::size_t at = bytes.find("good-c"); at != std::string::npos; at = bytes.find("good-c", at + 6))
        bytes.replace(at, 6, id);
    test::write_file(lib, bytes, 0755);
}

void BM_DiscoverAndLoad(benchmark::State& state) {
    log::set_threshold(log::Level::warn);  // a rejection would show, and fail the run
    const int n = static_cast<int>(state.range(0));
    std::size_t loaded = 0;
    int round = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto dir = std::make_unique<test::TempDir>();
        for (int i = 0; i < n; ++i) {
            char id[32];
            std::snprintf(id, sizeof id, "b%02d%03d", round % 100, i % 1000);
            install_copy(dir->path(), id);
        }
        ++round;
        state.ResumeTiming();

        auto reg = plugin::PluginRegistry::discover({{dir->path(), "bench"}});
        loaded = reg.loaded().size();

        state.PauseTiming();
        reg = plugin::PluginRegistry();  // shutdown outside the timing
        dir.reset();
        state.ResumeTiming();
        if (loaded != static_cast<std::size_t>(n)) {
            state.SkipWithError("not every plugin loaded");
            break;
        }
    }
    state.counters["plugins"] = static_cast<double>(loaded);
    state.counters["per_plugin_us"] = benchmark::Counter(static_cast<double>(n) * state.iterations(),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert,
                                                         benchmark::Counter::OneK::kIs1000);
}
BENCHMARK(BM_DiscoverAndLoad)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace

BENCHMARK_MAIN();
