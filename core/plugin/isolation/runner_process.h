// One autoarr-plugin-runner process and its channel: spawning it with its
// limits, reading and dispatching its frames, and the one reason it died (a
// signal, an exit status, a frame error, or the host's kill).
//
// Reading is leader/follower: one thread at a time holds the reading role.
// A thread waiting for its own call's reply takes the role when it is free
// and reads the channel itself, dispatching whatever arrives (its reply,
// other calls' replies and events, logs, secret requests), so a reply wakes
// its caller directly instead of waking a reader that then wakes the caller
// (docs/benchmarks.md, "Plugin isolation"). While no call is in flight the
// idle reader thread reads, so logs flow and a death is seen at once.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugin/host_services.h"
#include "plugin/isolation/frame.h"
#include "plugin/plugin_loader.h"

namespace autoarr::plugin::isolation {

// A call waiting for its reply; events queue here for the calling thread.
struct PendingCall {
    std::mutex mutex;  // guards everything below
    std::condition_variable changed;
    bool done = false;
    Frame reply;                                          // ready/load_failed/created/result
    std::deque<std::pair<uint32_t, std::string>> events;  // stream events not yet delivered
    bool cancel_requested = false;                        // the host's cancel token fired
    bool role_freed = false;                              // the reading role came free: try to take it
};

class RunnerProcess {
public:
    // Forks and execs the runner with the channel on fd 3, the library on fd 4
    // and the kick eventfd on fd 5, and nothing else open; on_death runs once,
    // on whichever thread reads the end of the channel.
    static std::unique_ptr<RunnerProcess> spawn(const Manifest& manifest, int library_fd, const RunnerOptions& options,
                                                PluginHostContext* context,
                                                std::function<void(const std::string& reason)> on_death,
                                                std::string& error);
    ~RunnerProcess();  // SIGKILL if still running, reap, join the reader
    RunnerProcess(const RunnerProcess&) = delete;
    RunnerProcess& operator=(const RunnerProcess&) = delete;

    using Clock = std::chrono::steady_clock;

    // Registers a call id before its frame is sent; end() when the call is over.
    std::shared_ptr<PendingCall> begin(uint64_t& id);
    void end(uint64_t id);
    // Writes a frame; kicks the runner when it must read it while calls run
    // there (a cancel, a secret reply, shutdown, a second call).
    bool send(FrameType type, uint64_t id, std::string_view payload);
    // Blocks until news() (evaluated with call->mutex held) is true or until
    // passes, reading the channel on this thread while it holds the reading
    // role. Returns news().
    bool await(const std::shared_ptr<PendingCall>& call, Clock::time_point until, const std::function<bool()>& news);
    // Brings the thread holding the reading role out of its wait (a cancel).
    void interrupt();

    // From now on a death is reported to on_death (a runner that fails while
    // loading is reported by whoever started it). False when it already died.
    bool report_deaths();
    // SIGKILL with a reason the death report will carry (a deadline ignored).
    void kill_now(const std::string& reason);
    bool alive() const;
    std::string death_reason() const;
    pid_t pid() const { return pid_; }

private:
    RunnerProcess() = default;
    void idle_read_loop();  // the reader thread: reads while no call is in flight
    // With the role held: one frame, or nothing by until (or an interrupt).
    void read_one(Clock::time_point until);
    void release_role();
    void die(const std::string& frame_error);  // the channel ended or carried a malformed frame
    void dispatch(Frame frame);
    std::string reap(bool channel_closed);

    pid_t pid_ = -1;
    int fd_ = -1;
    int wake_fd_ = -1;  // an eventfd: interrupt() makes the role holder's poll return
    int kick_fd_ = -1;  // an eventfd shared with the runner (its descriptor 5): "read the channel now"
    std::unique_ptr<FrameReader> frames_;  // used only by the reading role's holder
    PluginHostContext* context_ = nullptr;
    std::function<void(const std::string&)> on_death_;
    std::thread reader_;
    std::mutex write_mutex_;  // one writer per frame on fd_

    // Lock order: mutex_ is never held while a PendingCall's mutex is taken.
    mutable std::mutex mutex_;  // guards everything below
    std::map<uint64_t, std::shared_ptr<PendingCall>> pending_;
    uint64_t next_id_ = 1;
    std::size_t in_flight_ = 0;       // calls between begin() and end()
    bool reading_ = false;            // a thread holds the reading role
    bool closing_ = false;            // the destructor runs: the reader thread reads to the end
    bool reader_waiting_ = false;     // the reader thread waits for the last call to end
    bool reader_holds_role_ = false;  // the reader thread reads: a caller that wants the role interrupts it
    std::vector<std::shared_ptr<PendingCall>> role_waiters_;  // callers waiting for the role
    std::condition_variable idle_reader_;                     // wakes the reader thread (no call, role free, death)
    bool dead_ = false;
    bool reaped_ = false;
    bool report_death_ = false;
    std::string kill_reason_;
    std::string death_reason_;
};

}  // namespace autoarr::plugin::isolation
