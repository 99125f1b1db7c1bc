// autoarr-plugin-runner: loads one provider plugin through the C ABI and
// serves its instances to the host over the channel on descriptor 3
// (docs/abi-policy.md ISO-1..ISO-6). Started only by the host.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "plugin/instance.h"
#include "plugin/isolation/frame.h"
#include "plugin/isolation/sandbox.h"
#include "plugin/plugin_loader.h"
#include "util/log.h"

namespace {

using namespace autoarr;
using namespace autoarr::plugin;
using namespace autoarr::plugin::isolation;

constexpr int kChannelFd = 3;
constexpr int kLibraryFd = 4;
constexpr int kKickFd = 5;
constexpr int kExitChannelLost = 75;
constexpr std::size_t kMaxWorkers = 64;

// The channel ended. When the host went away, nothing is left to do. When the
// channel was closed under the runner (by the plugin), the exit status says so
// (ISO-3; the host names it "lost its channel").
[[noreturn]] void channel_ended() {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a shutdown() is followed by its close()
    const bool closed_here = ::fcntl(kChannelFd, F_GETFD) == -1;
    _exit(closed_here ? kExitChannelLost : 0);
}

// Leader/follower: the runner's threads take turns reading the channel. The
// thread that reads a frame which runs plugin code (create, destroy, call)
// runs it itself, and while it does nobody reads, so a call wakes one thread
// in the runner and no other. When the host sends a frame that must be read
// while calls run (a cancel, a second call, a secret reply, shutdown) it also
// kicks the runner (the eventfd on descriptor 5), and an idle thread, or a new
// one, takes over the reading. Kicks may merge (an eventfd counts, its reader
// sees one), so a leader about to run plugin code also hands the reading on
// when more bytes are already waiting. At most kMaxWorkers threads run plugin
// code; beyond that the leader queues the work and goes on reading, so cancels
// and secret replies are always read. Threads start on demand, are reused,
// and are never joined (the runner ends with _exit).
class Threads {
public:
    struct Work {
        std::function<void()> run;
        bool hand_off = false;  // may run long whatever the host sends next (a destroy): always hand the reading on
    };
    // read: run by the leader; reads frames until one needs a thread of its own
    // and returns that frame's work (it never returns when the channel ends).
    // more_to_read: whether bytes are waiting on the channel (the leader's view).
    Threads(std::function<Work()> read, std::function<bool()> more_to_read)
        : read_(std::move(read)), more_to_read_(std::move(more_to_read)) {}

    [[noreturn]] void run() {  // on the main thread; every started thread runs it too
        std::unique_lock lock(mutex_);
        while (true) {
            if (!jobs_.empty()) {  // queued while kMaxWorkers threads ran plugin code
                auto job = std::move(jobs_.front());
                jobs_.pop_front();
                run_job(lock, job);
                continue;
            }
            if (leader_) {
                ++idle_;
                ready_.wait(lock, [&] { return !leader_ || !jobs_.empty(); });
                --idle_;
                continue;
            }
            leader_ = true;
            while (true) {  // lead until this thread takes a job itself
                lock.unlock();
                Work work = read_();
                const bool more = work.hand_off || more_to_read_();  // read while the lock is not held
                lock.lock();
                if (busy_ >= kMaxWorkers) {  // every worker is busy: queue it, keep reading
                    jobs_.push_back(std::move(work.run));
                    continue;
                }
                leader_ = false;
                if (kicked_ || more) {  // the host sent more: someone must go on reading
                    kicked_ = false;
                    hand_off_locked();
                }
                run_job(lock, work.run);
                break;
            }
        }
    }

    // The host sent a frame that must be read now.
    void kick() {
        std::lock_guard lock(mutex_);
        if (leader_)
            kicked_ = true;  // the leader reads it, or hands the reading on when it starts a job
        else
            hand_off_locked();
    }

private:
    void run_job(std::unique_lock<std::mutex>& lock, const std::function<void()>& job) {
        ++busy_;
        lock.unlock();
        job();
        lock.lock();
        --busy_;
        if (!jobs_.empty() && idle_ > 0) ready_.notify_one();
    }

    // A reader for the channel: an idle thread, or a new one (never more than
    // kMaxWorkers running plugin code and one reading).
    void hand_off_locked() {
        if (idle_ > 0)
            ready_.notify_one();
        else
            std::thread([this] { run(); }).detach();
    }

    std::function<Work()> read_;
    std::function<bool()> more_to_read_;
    std::mutex mutex_;  // guards leader_, kicked_, idle_, busy_, jobs_
    std::condition_variable ready_;
    bool leader_ = false;  // a thread reads the channel
    bool kicked_ = false;  // a kick came while a thread read
    std::size_t idle_ = 0;
    std::size_t busy_ = 0;  // threads running plugin code
    std::deque<std::function<void()>> jobs_;
};

class Runner {
public:
    explicit Runner(int fd) : fd_(fd), frames_(fd) {}

    int run(bool seccomp) {
        // Every line this process logs, the plugin's included, goes to the host.
        log::set_sink([this](log::Level level, std::string_view component, std::string_view message) {
            send(FrameType::log, 0,
                 PayloadWriter()
                     .i32(static_cast<int32_t>(level))
                     .bytes(std::string(component) + ": " + std::string(message))
                     .take());
        });
        std::string error;
        auto first = frames_.next(error);
        if (!first || first->type != FrameType::load) return 2;
        PayloadReader in(first->payload);
        LoaderOptions options;
        options.min_abi_version = in.u32();
        options.max_abi_version = in.u32();
        const auto level = static_cast<log::Level>(std::min<uint32_t>(in.u32(), 5));
        Manifest m;
        m.id = std::string(in.bytes());
        m.library = std::string(in.bytes());
        if (!in.ok()) return 2;
        log::set_threshold(level);

        // ISO-5: the limits go on before the plugin's first instruction (its constructors run at load).
        const std::string sandbox = apply_runner_sandbox(seccomp);
        const std::string load_path = "/proc/self/fd/" + std::to_string(kLibraryFd);
        auto context = std::make_unique<PluginHostContext>();
        context->plugin_id = m.id;
        context->secret = [this](std::string_view name) { return secret(name); };
        context->metric = [this](std::string_view name, int32_t kind, double value) {
            uint64_t bits;
            std::memcpy(&bits, &value, sizeof bits);
            send(FrameType::metric, 0, PayloadWriter().i32(kind).u64(bits).bytes(name).take());
        };
        // Frames (secret replies) must flow while module_startup runs.
        std::thread reader;
        LoadOutcome outcome;
        {
            std::thread loading([&] {
                outcome = load_library(m, ::access(load_path.c_str(), R_OK) == 0 ? load_path : m.library.string(),
                                       options, std::move(context));
                loaded_.store(true);
            });
            serve_until_loaded();
            loading.join();
        }
        ::close(kLibraryFd);  // mapped now; the channel is the only descriptor left
        if (!outcome.plugin) {
            send(FrameType::load_failed, first->id,
                 PayloadWriter()
                     .u32(static_cast<uint32_t>(outcome.failure.step))
                     .bytes(outcome.failure.rule)
                     .bytes(outcome.failure.cause)
                     .take());
            return 0;
        }
        plugin_ = outcome.plugin;
        send(FrameType::ready, first->id,
             PayloadWriter()
                 .u32(plugin_->abi_version())
                 .bytes(plugin_->info()->name)
                 .bytes(plugin_->info()->version)
                 .u32(plugin_->has_list_models() ? 1 : 0)
                 .u32(plugin_->has_stream() ? 1 : 0)
                 .bytes(sandbox)
                 .take());
        serve();
        return 0;
    }

private:
    struct SecretWait {
        bool done = false;
        std::optional<std::string> value;
    };
    struct RunningCall {
        CancelToken* token;
        bool stopped = false;
    };

    bool send(FrameType type, uint64_t id, std::string_view payload) {
        return write_frame(fd_, write_mutex_, type, id, payload);
    }

    // While the plugin loads, only secret replies are expected.
    void serve_until_loaded() {
        while (!loaded_.load()) {
            pollfd p{fd_, POLLIN, 0};
            if (!frames_.ready() && ::poll(&p, 1, 20) <= 0) continue;
            std::string error;
            auto f = frames_.next(error);
            if (!f) channel_ended();
            handle(std::move(*f));  // before ready the host sends nothing that runs plugin code
        }
    }

    std::optional<std::string> secret(std::string_view name) {
        uint64_t id;
        auto wait = std::make_shared<SecretWait>();
        {
            std::lock_guard lock(secrets_mutex_);
            id = next_secret_++;
            secrets_[id] = wait;
        }
        send(FrameType::secret_request, id, PayloadWriter().bytes(name).take());
        std::unique_lock lock(secrets_mutex_);
        secret_ready_.wait_for(lock, std::chrono::seconds(10), [&] { return wait->done; });
        secrets_.erase(id);
        return wait->value;
    }

    [[noreturn]] void serve() {
        Threads threads([this] { return read_until_work(); },
                        [this] {
                            pollfd p{fd_, POLLIN, 0};
                            return frames_.has_unread() || ::poll(&p, 1, 0) > 0;
                        });
        std::thread([&threads] {
            while (true) {
                uint64_t count;
                const ssize_t r = ::read(kKickFd, &count, sizeof count);
                if (r == static_cast<ssize_t>(sizeof count))
                    threads.kick();
                else if (r < 0 && errno == EINTR)
                    continue;
                else {
                    // The plugin closed it, say: calls still run, and what the host sends
                    // while they do is read when one of them ends (a late cancel is killed at ISO-5's grace).
                    log::warn("runner", std::string("the kick descriptor failed: ") +
                                            (r < 0 ? std::strerror(errno) : "closed") +
                                            "; frames sent during a call wait for it to end");
                    return;
                }
            }
        }).detach();
        threads.run();
    }

    // The leader's part: frames that only touch the runner's tables are handled
    // here; the first that runs plugin code is returned as work for this thread.
    Threads::Work read_until_work() {
        while (true) {
            std::string error;
            auto f = frames_.next(error);
            if (!f) channel_ended();  // the host is gone or sent garbage: nothing is left to serve
            const bool destroy = f->type == FrameType::destroy;
            if (auto work = handle(std::move(*f))) return {std::move(work), destroy};
        }
    }

    [[noreturn]] void shut_down() {
        {
            std::lock_guard lock(instances_mutex_);
            instances_.clear();
        }
        plugin_.reset();  // module_shutdown
        _exit(0);         // a thread the plugin leaked must not see static destructors run
    }

    // Handles a frame that needs no thread of its own, or returns the work of one that does.
    std::function<void()> handle(Frame f) {
        switch (f.type) {
            case FrameType::secret_reply: {
                PayloadReader in(f.payload);
                const bool found = in.u32() != 0;
                std::string value(in.bytes());
                std::lock_guard lock(secrets_mutex_);
                if (auto it = secrets_.find(f.id); it != secrets_.end()) {
                    it->second->done = true;
                    if (found && in.ok()) it->second->value = std::move(value);
                    secret_ready_.notify_all();
                }
                return {};
            }
            case FrameType::cancel: {
                std::lock_guard lock(calls_mutex_);
                if (auto it = calls_.find(f.id); it != calls_.end()) {
                    it->second.stopped = true;
                    it->second.token->cancel();
                }
                return {};
            }
            case FrameType::shutdown:
                shut_down();
            case FrameType::create:
                return [this, f = std::move(f)] { create(f); };
            case FrameType::destroy:
                return [this, f = std::move(f)] {
                    PayloadReader in(f.payload);
                    const uint64_t handle = in.u64();
                    std::shared_ptr<Instance> gone;
                    std::lock_guard lock(instances_mutex_);
                    if (auto it = instances_.find(handle); it != instances_.end()) {
                        gone = std::move(it->second);
                        instances_.erase(it);
                    }
                };
            case FrameType::call:
                return [this, f = std::move(f)] { call(f); };
            default:
                return {};
        }
    }

    static PayloadWriter& status_fields(PayloadWriter& w, const CallStatus& st) {
        return w.i32(st.code)
            .i32(st.http_status)
            .i64(st.retry_after_ms)
            .u64(st.flags)
            .bytes(st.message)
            .bytes(st.request_id);
    }

    void create(const Frame& f) {
        PayloadReader in(f.payload);
        std::string_view config = in.bytes();
        CallStatus st;
        std::unique_ptr<Instance> inst;
        if (!plugin_ || !in.ok())
            st = CallStatus{AUTOARR_ERR_INTERNAL, 0, -1, 0, "malformed create frame"};
        else
            inst = Instance::create(plugin_, config, st);
        uint64_t handle = 0;
        std::string caps;
        if (inst) {
            const autoarr_capabilities& c = inst->capabilities();
            caps.assign(reinterpret_cast<const char*>(&c), std::min<std::size_t>(c.struct_size, sizeof c));
            std::lock_guard lock(instances_mutex_);
            handle = next_handle_++;
            instances_[handle] = std::move(inst);
        }
        PayloadWriter w;
        status_fields(w, st).u64(handle).bytes(caps);
        send(FrameType::created, f.id, w.take());
    }

    void call(const Frame& f) {
        PayloadReader in(f.payload);
        const uint64_t handle = in.u64();
        const auto slot = static_cast<Slot>(in.u32());
        const int64_t deadline = in.i64();
        std::string_view request = in.bytes();
        std::shared_ptr<Instance> inst;
        {
            std::lock_guard lock(instances_mutex_);
            if (auto it = instances_.find(handle); it != instances_.end()) inst = it->second;
        }
        CallStatus st;
        std::string out;
        if (!in.ok() || !inst) {
            st = CallStatus{AUTOARR_ERR_INTERNAL, 0, -1, 0, in.ok() ? "no such instance" : "malformed call frame"};
        } else {
            CancelToken token;
            {
                std::lock_guard lock(calls_mutex_);
                calls_.emplace(f.id, RunningCall{&token});
            }
            CallContext ctx(deadline, &token);
            switch (slot) {
                case Slot::health:
                    st = inst->health(ctx, out);
                    break;
                case Slot::list_models:
                    st = inst->list_models(ctx, out);
                    break;
                case Slot::complete:
                    st = inst->complete(ctx, request, out);
                    break;
                case Slot::stream:
                    // Each event is one frame, written before the plugin's next one: never buffered.
                    st = inst->stream(ctx, request, [&](uint32_t kind, std::string_view data) {
                        {
                            std::lock_guard lock(calls_mutex_);
                            if (calls_.at(f.id).stopped) return false;
                        }
                        return send(FrameType::event, f.id, PayloadWriter().u32(kind).bytes(data).take());
                    });
                    break;
                default:
                    st = CallStatus{AUTOARR_ERR_UNSUPPORTED, 0, -1, 0, "unknown slot"};
            }
            std::lock_guard lock(calls_mutex_);
            calls_.erase(f.id);
        }
        PayloadWriter w;
        status_fields(w, st).bytes(out);
        send(FrameType::result, f.id, w.take());
    }

    const int fd_;
    FrameReader frames_;      // used by one thread at a time: the loader, then the leader
    std::mutex write_mutex_;  // one frame at a time on fd_
    std::atomic<bool> loaded_{false};
    std::shared_ptr<LoadedPlugin> plugin_;

    std::mutex instances_mutex_;  // guards instances_, next_handle_
    std::map<uint64_t, std::shared_ptr<Instance>> instances_;
    uint64_t next_handle_ = 1;

    std::mutex calls_mutex_;  // guards calls_ (and cancels run under it, so a token never dangles)
    std::map<uint64_t, RunningCall> calls_;

    std::mutex secrets_mutex_;  // guards secrets_, next_secret_
    std::condition_variable secret_ready_;
    std::map<uint64_t, std::shared_ptr<SecretWait>> secrets_;
    uint64_t next_secret_ = 1;
};

}  // namespace

int main(int argc, char** argv) {
    bool seccomp = false, started_by_host = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seccomp") == 0) seccomp = true;
        if (std::strcmp(argv[i], "--plugin") == 0) started_by_host = true;
    }
    if (!started_by_host) {
        std::cerr << "autoarr-plugin-runner is started by autoarr for each process-isolated plugin "
                     "(docs/plugin-guide.md); it is not run by hand\n";
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    Runner runner(kChannelFd);
    return runner.run(seccomp);
}
