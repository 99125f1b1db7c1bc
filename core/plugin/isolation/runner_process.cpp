#include "plugin/isolation/runner_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <vector>

#include "http/text_limits.h"
#include "util/log.h"
#include "util/paths.h"

namespace autoarr::plugin::isolation {
namespace {

constexpr int kChannelFd = 3;
constexpr int kLibraryFd = 4;
constexpr int kKickFd = 5;
constexpr std::size_t kMaxLogLineBytes = 16 * 1024;
// Calls come in bursts (an audit's explanations, a stream's retries): after the
// last one ends, the reader thread waits this long before it reads, so the
// next call's caller finds the reading role free and reads its own reply.
// Frames that arrive in between (a log line) wait at most this long.
constexpr auto kReaderLinger = std::chrono::milliseconds(2);
// A frame larger than this may not fit the socket's buffer while the runner
// runs a call, so its kick goes first as well.
constexpr std::size_t kKickFirstBytes = 64 * 1024;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Adds one to an eventfd's counter. A counter at its maximum still wakes its
// reader, so a failed write loses nothing.
void signal_eventfd(int fd) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(fd, &one, sizeof one);
}

std::string signal_text(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return "signal " + std::to_string(sig) + (abbrev ? " (SIG" + std::string(abbrev) + ")" : "");
}

// The runner's environment: the one the options carry, plus (in sanitizer
// builds, where RLIMIT_AS cannot work beside the shadow memory) the
// sanitizer's own RSS limit.
std::vector<std::string> runner_environment(const RunnerOptions& o) {
    std::vector<std::string> env;
    std::string asan = "ASAN_OPTIONS=", tsan = "TSAN_OPTIONS=", ubsan = "UBSAN_OPTIONS=";
    for (const std::string& v : o.environment) {
        if (v.starts_with("ASAN_OPTIONS="))
            asan = v + ":";
        else if (v.starts_with("TSAN_OPTIONS="))
            tsan = v + ":";
        else if (v.starts_with("UBSAN_OPTIONS="))
            ubsan = v + ":";
        else
            env.emplace_back(v);
    }
    if (kSanitized) {
        // Crash signals stay the kernel's, so the host sees the SIGSEGV or SIGABRT a release
        // build would; the runner ends with _exit, so there is no leak check to run.
        std::string opts = "handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=0";
        if (o.memory_limit_mb > 0) opts += ":hard_rss_limit_mb=" + std::to_string(o.memory_limit_mb);
        asan += opts;
        tsan += opts;
        // Undefined behaviour in a runner ends it, as in the host's tests, even
        // when the options carry no environment (UBSan's own default goes on).
        ubsan += "halt_on_error=1:print_stacktrace=1";
    }
    if (asan != "ASAN_OPTIONS=") env.push_back(asan);
    if (tsan != "TSAN_OPTIONS=") env.push_back(tsan);
    if (ubsan != "UBSAN_OPTIONS=") env.push_back(ubsan);
    return env;
}

// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_runner(int channel, int library, int kick, const char* path, char* const* argv,
                              char* const* envp, const rlimit* as, const rlimit* nofile) {
    // Move the descriptors above the target numbers first, so no dup2 clobbers another.
    int ch = ::fcntl(channel, F_DUPFD, 10);
    int lib = library >= 0 ? ::fcntl(library, F_DUPFD, 10) : -1;
    int kk = ::fcntl(kick, F_DUPFD, 10);
    if (ch < 0 || ::dup2(ch, kChannelFd) < 0) _exit(126);
    if (lib >= 0 && ::dup2(lib, kLibraryFd) < 0) _exit(126);
    if (kk < 0 || ::dup2(kk, kKickFd) < 0) _exit(126);
    if (lib < 0) ::close(kLibraryFd);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);  // stdout may be the host's JSON output; stderr stays for crash reports
    }
    // ISO-5: nothing but the channel, the library and the kick crosses exec.
    const int first_closed = kKickFd + 1;
    if (::syscall(SYS_close_range, first_closed, ~0U, 0) != 0)
        for (int fd = first_closed; fd < 65536; ++fd) ::close(fd);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the runner never outlives the host
    if (as) ::setrlimit(RLIMIT_AS, as);
    if (nofile) ::setrlimit(RLIMIT_NOFILE, nofile);
    rlimit core{0, 0};
    ::setrlimit(RLIMIT_CORE, &core);  // a crashing plugin leaves no core file behind
    ::execve(path, argv, envp);
    _exit(127);
}

}  // namespace

std::unique_ptr<RunnerProcess> RunnerProcess::spawn(const Manifest& m, int library_fd, const RunnerOptions& o,
                                                    PluginHostContext* context,
                                                    std::function<void(const std::string&)> on_death,
                                                    std::string& error) {
    const std::filesystem::path exe =
        o.executable.empty() ? util::executable_dir() / "autoarr-plugin-runner" : o.executable;
    if (::access(exe.c_str(), X_OK) != 0) {
        error = "the plugin runner " + exe.string() + " is not an executable file";
        return nullptr;
    }
    const int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const int kick_fd = ::eventfd(0, EFD_CLOEXEC);  // the runner blocks reading it
    if (wake_fd < 0 || kick_fd < 0) {
        error = std::string("eventfd failed: ") + std::strerror(errno);
        if (wake_fd >= 0) ::close(wake_fd);
        if (kick_fd >= 0) ::close(kick_fd);
        return nullptr;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        error = std::string("socketpair failed: ") + std::strerror(errno);
        ::close(wake_fd);
        ::close(kick_fd);
        return nullptr;
    }
    // Everything the child needs is built before fork: it may not allocate.
    std::vector<std::string> args = {exe.string(), "--plugin", m.id, o.seccomp ? "--seccomp" : "--no-seccomp"};
    std::vector<std::string> env = runner_environment(o);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    rlimit as{}, nofile{};
    const bool limit_as = !kSanitized && o.memory_limit_mb > 0;
    as.rlim_cur = as.rlim_max = o.memory_limit_mb * 1024 * 1024;
    nofile.rlim_cur = nofile.rlim_max = o.open_files;

    pid_t pid = ::fork();
    if (pid < 0) {
        error = std::string("fork failed: ") + std::strerror(errno);
        ::close(sv[0]);
        ::close(sv[1]);
        ::close(wake_fd);
        ::close(kick_fd);
        return nullptr;
    }
    if (pid == 0)
        exec_runner(sv[1], library_fd, kick_fd, args[0].c_str(), argv.data(), envp.data(), limit_as ? &as : nullptr,
                    o.open_files > 0 ? &nofile : nullptr);
    ::close(sv[1]);
    std::unique_ptr<RunnerProcess> p(new RunnerProcess());
    p->pid_ = pid;
    p->fd_ = sv[0];
    p->wake_fd_ = wake_fd;
    p->kick_fd_ = kick_fd;
    p->frames_ = std::make_unique<FrameReader>(sv[0]);
    p->context_ = context;
    p->on_death_ = std::move(on_death);
    p->reader_ = std::thread([raw = p.get()] { raw->idle_read_loop(); });
    return p;
}

RunnerProcess::~RunnerProcess() {
    {
        std::lock_guard lock(mutex_);
        if (!dead_ && kill_reason_.empty()) kill_reason_ = "stopped by the host";
        if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);  // once reaped, the pid may be another process's
        closing_ = true;
    }
    idle_reader_.notify_all();
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) ::close(fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (kick_fd_ >= 0) ::close(kick_fd_);
}

std::shared_ptr<PendingCall> RunnerProcess::begin(uint64_t& id) {
    auto call = std::make_shared<PendingCall>();
    std::lock_guard lock(mutex_);
    id = next_id_++;
    if (dead_) call->done = true;  // an empty reply: the caller reads death_reason()
    pending_.emplace(id, call);
    ++in_flight_;
    return call;
}

void RunnerProcess::end(uint64_t id) {
    bool wake_reader;
    {
        std::lock_guard lock(mutex_);
        pending_.erase(id);
        --in_flight_;
        wake_reader = in_flight_ == 0 && !reading_ && reader_waiting_;
    }
    if (wake_reader) idle_reader_.notify_one();
}

bool RunnerProcess::await(const std::shared_ptr<PendingCall>& call, Clock::time_point until,
                          const std::function<bool()>& news) {
    while (true) {
        {
            std::lock_guard lock(call->mutex);
            if (news()) return true;
            call->role_freed = false;  // any earlier notice is stale: the role is checked below
        }
        if (Clock::now() >= until) return false;
        bool role = false, reader_reads = false;
        {
            std::lock_guard lock(mutex_);
            if (!reading_ && !dead_) {
                reading_ = true;
                role = true;
            } else if (!dead_) {
                role_waiters_.push_back(call);
                reader_reads = reader_holds_role_;
            }
        }
        if (role) {
            bool done;
            {
                // Again with the role held: a cancel that came before this point may have had
                // its wake-up taken by the previous holder; from here on it reaches our poll.
                std::lock_guard lock(call->mutex);
                done = news();
            }
            if (!done) read_one(until);
            release_role();
            continue;
        }
        if (reader_reads) interrupt();  // the idle reader hands the role over at once
        // Someone else reads: it dispatches this call's frames, or frees the role.
        std::unique_lock lock(call->mutex);
        if (until == Clock::time_point::max())
            call->changed.wait(lock, [&] { return news() || call->role_freed; });
        else
            call->changed.wait_until(lock, until, [&] { return news() || call->role_freed; });
    }
}

void RunnerProcess::interrupt() {
    signal_eventfd(wake_fd_);
}

void RunnerProcess::read_one(Clock::time_point until) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    timespec ts{};
    const timespec* timeout = nullptr;
    if (until != Clock::time_point::max()) {
        const auto left = std::max(Clock::duration::zero(), until - Clock::now());
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        timeout = &ts;
    }
    if (!frames_->ready()) {
        if (::ppoll(fds, 2, timeout, nullptr) <= 0) return;  // the time passed, or EINTR: the caller looks again
        if (fds[1].revents != 0) {
            uint64_t count;
            [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof count);
        }
        if (fds[0].revents == 0) return;
    }
    std::string error;
    bool would_block = false;  // never blocks here: a frame that comes in pieces must not hold the role past until
    auto frame = frames_->next(error, &would_block);
    if (frame)
        dispatch(std::move(*frame));
    else if (!would_block)
        die(error);
}

void RunnerProcess::release_role() {
    std::vector<std::shared_ptr<PendingCall>> waiters;
    bool wake_reader;
    {
        std::lock_guard lock(mutex_);
        reading_ = false;
        waiters.swap(role_waiters_);
        wake_reader = reader_waiting_ && (in_flight_ == 0 || closing_);
    }
    for (auto& w : waiters) {
        std::lock_guard lock(w->mutex);
        w->role_freed = true;
        w->changed.notify_all();
    }
    if (wake_reader) idle_reader_.notify_one();
}

bool RunnerProcess::send(FrameType type, uint64_t id, std::string_view payload) {
    // The runner's thread that reads a call runs it, and nobody reads meanwhile
    // (runner_main.cpp, Threads): a frame that must be read while calls run gets a kick,
    // after it is written (so the runner finds it), and before too when it is larger
    // than the socket's buffer could take while nobody reads.
    bool kick;
    {
        std::lock_guard lock(mutex_);
        switch (type) {
            case FrameType::load:
                kick = false;  // read by the runner's main thread, which does nothing else
                break;
            case FrameType::call:
            case FrameType::create:
                kick = in_flight_ > 1;  // another request besides this one
                break;
            case FrameType::destroy:
                kick = in_flight_ > 0;
                break;
            default:
                kick = true;  // cancel, secret_reply, shutdown
        }
    }
    if (kick && payload.size() > kKickFirstBytes) signal_eventfd(kick_fd_);
    if (!write_frame(fd_, write_mutex_, type, id, payload)) return false;
    if (kick) signal_eventfd(kick_fd_);
    return true;
}

bool RunnerProcess::report_deaths() {
    std::lock_guard lock(mutex_);
    report_death_ = true;
    return !dead_;
}

void RunnerProcess::kill_now(const std::string& reason) {
    {
        std::lock_guard lock(mutex_);
        if (dead_ || reaped_) return;
        if (kill_reason_.empty()) kill_reason_ = reason;
        ::kill(pid_, SIGKILL);
    }
}

bool RunnerProcess::alive() const {
    std::lock_guard lock(mutex_);
    return !dead_;
}

std::string RunnerProcess::death_reason() const {
    std::lock_guard lock(mutex_);
    return death_reason_;
}

void RunnerProcess::idle_read_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
        const auto may_read = [&] { return dead_ || ((in_flight_ == 0 || closing_) && !reading_); };
        const bool calls_ran = !may_read();
        reader_waiting_ = true;
        idle_reader_.wait(lock, may_read);
        reader_waiting_ = false;
        if (dead_) return;
        if (calls_ran && !closing_) {
            // Notices are not sent during the linger (end() sends them only to a waiting reader).
            idle_reader_.wait_for(lock, kReaderLinger, [&] { return dead_ || closing_; });
            if (dead_) return;
            if ((in_flight_ > 0 && !closing_) || reading_) continue;  // callers read for themselves
        }
        reading_ = true;
        reader_holds_role_ = true;
        lock.unlock();
        read_one(Clock::time_point::max());
        lock.lock();
        reader_holds_role_ = false;
        lock.unlock();
        release_role();
        lock.lock();
    }
}

void RunnerProcess::die(const std::string& error) {
    std::string what;
    {
        std::lock_guard lock(mutex_);
        what = kill_reason_;
    }
    const bool frame_error = !error.empty();
    if (frame_error) {
        std::lock_guard lock(mutex_);
        ::kill(pid_, SIGKILL);
    }
    std::string status = reap(!frame_error);
    std::string reason;
    if (!what.empty())
        reason = what + "; " + status;
    else if (frame_error)
        reason = "sent a malformed frame: " + error + " (killed)";
    else
        reason = status;
    reason = "runner pid " + std::to_string(pid_) + " " + reason;
    std::map<uint64_t, std::shared_ptr<PendingCall>> pending;
    bool report;
    {
        std::lock_guard lock(mutex_);
        dead_ = true;
        report = report_death_;
        death_reason_ = reason;
        pending.swap(pending_);
    }
    idle_reader_.notify_all();
    // The supervisor learns of the death before any caller wakes, so a failed
    // call and the provider's availability always agree.
    if (report && on_death_) on_death_(reason);
    for (auto& [id, call] : pending) {
        std::lock_guard lock(call->mutex);
        call->done = true;
        call->reply = Frame{};  // an empty reply: the caller reads death_reason()
        call->changed.notify_all();
    }
}

// Waits for the runner to be gone and says how it went. After the channel
// closed, a runner still alive (it closed the channel itself) is killed.
std::string RunnerProcess::reap(bool channel_closed) {
    int status = 0;
    pid_t r = 0;
    bool killed_by_us = false;
    // waitpid and kill happen under mutex_, so nobody signals a pid after it was reaped.
    for (int i = 0; i < 200; ++i) {  // up to ~200 ms for a crashing process to finish exiting
        {
            std::lock_guard lock(mutex_);
            r = ::waitpid(pid_, &status, WNOHANG);
            if (r != 0) {
                reaped_ = true;
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (r == 0) {
        std::lock_guard lock(mutex_);
        ::kill(pid_, SIGKILL);
        killed_by_us = true;
        r = ::waitpid(pid_, &status, 0);
        reaped_ = true;
    }
    if (r < 0) return std::string("could not be reaped: ") + std::strerror(errno);
    if (killed_by_us && channel_closed) return "closed its channel while still running (killed)";
    if (WIFSIGNALED(status)) return "was killed by " + signal_text(WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 75)
        return "closed its channel (the runner lost it and exited with status 75)";
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "ended with wait status " + std::to_string(status);
}

void RunnerProcess::dispatch(Frame f) {
    switch (f.type) {
        case FrameType::log: {
            PayloadReader in(f.payload);
            int32_t level = in.i32();
            std::string_view text = in.bytes();
            if (!in.ok()) return;
            log::Level lv = level <= AUTOARR_LOG_TRACE   ? log::Level::trace
                            : level == AUTOARR_LOG_DEBUG ? log::Level::debug
                            : level == AUTOARR_LOG_INFO  ? log::Level::info
                            : level == AUTOARR_LOG_WARN  ? log::Level::warn
                                                         : log::Level::error;
            // The plugin's own lines keep their component; the runner's are marked as its.
            const std::string own = "plugin " + context_->plugin_id + ": ";
            if (text.starts_with(own))
                log::write(lv, own.substr(0, own.size() - 2),
                           http::bounded_text(text.substr(own.size()), kMaxLogLineBytes));
            else
                log::write(lv, "runner " + context_->plugin_id, http::bounded_text(text, kMaxLogLineBytes));
            return;
        }
        case FrameType::metric: {
            PayloadReader in(f.payload);
            int32_t kind = in.i32();
            uint64_t bits = in.u64();
            std::string_view name = in.bytes();
            double value;
            std::memcpy(&value, &bits, sizeof value);
            if (in.ok() && context_->metric) context_->metric(name, kind, value);
            return;
        }
        case FrameType::secret_request: {
            PayloadReader in(f.payload);
            std::string_view name = in.bytes();
            std::optional<std::string> value;
            if (in.ok() && context_->secret) {
                try {
                    value = context_->secret(name);
                } catch (const std::exception& e) {
                    log::warn("plugin", context_->plugin_id + ": secret lookup failed: " + e.what());
                }
            }
            send(FrameType::secret_reply, f.id, PayloadWriter().u32(value ? 1 : 0).bytes(value ? *value : "").take());
            return;
        }
        case FrameType::event: {
            std::shared_ptr<PendingCall> call;
            {
                std::lock_guard lock(mutex_);
                auto it = pending_.find(f.id);
                if (it == pending_.end()) return;  // a call that already gave up
                call = it->second;
            }
            PayloadReader in(f.payload);
            uint32_t kind = in.u32();
            std::string_view data = in.bytes();
            if (!in.ok()) return;
            std::lock_guard lock(call->mutex);
            call->events.emplace_back(kind, std::string(data));
            call->changed.notify_all();
            return;
        }
        default: {
            std::shared_ptr<PendingCall> call;
            {
                std::lock_guard lock(mutex_);
                auto it = pending_.find(f.id);
                if (it == pending_.end()) return;
                call = it->second;
                pending_.erase(it);
            }
            std::lock_guard lock(call->mutex);
            call->reply = std::move(f);
            call->done = true;
            call->changed.notify_all();
            return;
        }
    }
}

}  // namespace autoarr::plugin::isolation
