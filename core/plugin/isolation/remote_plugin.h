// The host side of a process-isolated plugin (docs/abi-policy.md ISO-1..ISO-6):
// a supervisor that starts autoarr-plugin-runner, forwards every call over the
// channel, turns every way a runner can fail into a typed error and a reason,
// restarts it with backoff and quarantines it after repeated crashes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "plugin/host_services.h"
#include "plugin/instance.h"
#include "plugin/isolation/frame.h"
#include "plugin/plugin_loader.h"

namespace autoarr::plugin::isolation {

class RunnerProcess;

// What the host learnt from the runner's ready frame.
struct RemoteInfo {
    uint32_t abi_version = 0;  // negotiated in the runner
    std::string name;
    std::string version;
    bool has_list_models = false;
    bool has_stream = false;
    std::string sandbox;  // what limits the runner applied, and why any were not
};

class RemotePlugin {
public:
    RemotePlugin(Manifest manifest, int library_fd, RunnerOptions options, uint32_t min_abi, uint32_t max_abi,
                 PluginHostContext* context);
    ~RemotePlugin();
    RemotePlugin(const RemotePlugin&) = delete;
    RemotePlugin& operator=(const RemotePlugin&) = delete;

    // Starts the first runner and loads the plugin in it. On failure fills failure.
    bool start(RemoteInfo& info, LoadFailure& failure);

    // One instance as the runner knows it: recreated from config_json in a new
    // runner after a restart (generation tells which runner it lives in).
    struct InstanceHandle {
        std::string config_json;
        std::mutex mutex;  // guards handle and generation (rewritten when recreated after a restart)
        uint64_t handle = 0;
        uint64_t generation = 0;
        autoarr_capabilities caps{};
    };
    CallStatus create(InstanceHandle& instance);
    void destroy(const InstanceHandle& instance);
    // A call on an instance. output receives the JSON of health/list_models/complete;
    // on_event (stream only) receives events on this thread, as they arrive.
    CallStatus call(InstanceHandle& instance, Slot slot, const CallContext& call, std::string_view request,
                    std::string* output, const Instance::EventFn* on_event);

    Availability availability() const;
    // Lifts a quarantine and forgets the crash history (POST .../check). False when not quarantined.
    bool retry();
    // Stops the runner: shutdown frame, then SIGKILL after the grace period.
    void shutdown();

    pid_t pid() const;  // the live runner's pid, or 0 (tests)

private:
    // The live runner, starting one when none runs and the backoff allows it.
    std::shared_ptr<RunnerProcess> acquire(CallStatus& why, uint64_t& generation);
    std::shared_ptr<RunnerProcess> launch(RemoteInfo& info, LoadFailure& failure);
    CallStatus create_in(RunnerProcess& runner, uint64_t generation, InstanceHandle& instance);
    void on_death(uint64_t generation, const std::string& reason);
    // state_mutex_ held; current: the failed runner is the live one (not one already replaced).
    void record_crash_locked(const std::string& reason, bool current = true);
    void restart_loop();  // restarts a failed runner once its backoff passed (ISO-4)

    const Manifest manifest_;
    const int library_fd_;
    const RunnerOptions options_;
    const uint32_t min_abi_, max_abi_;
    PluginHostContext* const context_;

    std::mutex launch_mutex_;         // one runner start at a time (held while it loads)
    mutable std::mutex state_mutex_;  // guards everything below
    std::shared_ptr<RunnerProcess> runner_;
    uint64_t generation_ = 0;
    bool down_ = false;
    bool quarantined_ = false;
    bool stopped_ = false;
    std::string reason_;
    std::chrono::steady_clock::time_point restart_at_{};
    std::deque<std::chrono::steady_clock::time_point> crashes_;
    int consecutive_crashes_ = 0;
    uint64_t total_crashes_ = 0;
    std::string last_failure_;               // the newest failure, kept after a restart (Availability::last_failure)
    std::condition_variable state_changed_;  // wakes restart_loop
    std::thread restarter_;
};

// load_plugin's process branch: a LoadedPlugin whose calls go to a runner.
LoadOutcome start_remote_plugin(const Manifest& manifest, int library_fd, const LoaderOptions& options,
                                std::unique_ptr<PluginHostContext> context);

}  // namespace autoarr::plugin::isolation
