#include "plugin/isolation/remote_plugin.h"

#include <algorithm>
#include <cstring>

#include "plugin/isolation/runner_process.h"
#include "plugin/loaded_plugin.h"
#include "util/log.h"
#include "util/secret_scrubber.h"

namespace autoarr::plugin::isolation {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string_view slot_name(Slot s) {
    switch (s) {
        case Slot::health:
            return "health_check";
        case Slot::list_models:
            return "list_models";
        case Slot::complete:
            return "complete";
        case Slot::stream:
            return "stream";
    }
    return "?";
}

std::string ms_text(milliseconds ms) {
    return std::to_string(ms.count()) + " ms";
}

// Waits for the reply to a call without a deadline of its own (load, create)
// up to `limit`; past it the runner is killed, "<late> within <limit>", and
// the wait goes on until its death is seen (the reply is then none).
void await_reply_or_kill(RunnerProcess& runner, const std::shared_ptr<PendingCall>& call, milliseconds limit,
                         const std::string& late) {
    auto done = [&] { return call->done; };
    if (runner.await(call, Clock::now() + limit, done)) return;
    runner.kill_now(late + " within " + ms_text(limit));
    runner.await(call, Clock::now() + limit, done);
}

// The status fields of a created/result frame, as the runner's Instance reported them.
CallStatus read_status(PayloadReader& in) {
    CallStatus s;
    s.code = normalise_code(in.i32());
    s.http_status = in.i32();
    s.retry_after_ms = in.i64();
    s.flags = in.u64();
    // Scrubbed here: the runner does not know the host's secrets (util::process_secrets).
    s.message = util::safe_error_text(in.bytes());
    s.request_id = util::safe_error_text(in.bytes());  // ABI 1.1: the backend's id, when the plugin gave one
    return s;
}

// Never RETRYABLE: the request may be what kills the runner, and a retry
// would only count towards the quarantine. Fallback to another provider stays allowed.
CallStatus unavailable(std::string message) {
    return CallStatus{AUTOARR_ERR_UNAVAILABLE, 0, -1, 0, std::move(message)};
}

}  // namespace

RemotePlugin::RemotePlugin(Manifest manifest, int library_fd, RunnerOptions options, uint32_t min_abi, uint32_t max_abi,
                           PluginHostContext* context)
    : manifest_(std::move(manifest)),
      library_fd_(library_fd),
      options_(std::move(options)),
      min_abi_(min_abi),
      max_abi_(max_abi),
      context_(context) {}

RemotePlugin::~RemotePlugin() {
    shutdown();
}

std::shared_ptr<RunnerProcess> RemotePlugin::launch(RemoteInfo& info, LoadFailure& failure) {
    uint64_t gen;
    {
        std::lock_guard lock(state_mutex_);
        gen = ++generation_;
    }
    std::string error;
    std::shared_ptr<RunnerProcess> runner = RunnerProcess::spawn(
        manifest_, library_fd_, options_, context_, [this, gen](const std::string& why) { on_death(gen, why); }, error);
    if (!runner) {
        failure = {LoadStep::load, "ISO-2", error};
        return nullptr;
    }
    uint64_t id;
    auto pending = runner->begin(id);
    const std::string payload = PayloadWriter()
                                    .u32(min_abi_)
                                    .u32(max_abi_)
                                    .u32(static_cast<uint32_t>(log::threshold()))
                                    .bytes(manifest_.id)
                                    .bytes(manifest_.library.string())
                                    .take();
    runner->send(FrameType::load, id, payload);
    await_reply_or_kill(*runner, pending, options_.load_deadline, "did not finish loading");
    runner->end(id);
    std::lock_guard lock(pending->mutex);
    const Frame& reply = pending->reply;
    PayloadReader in(reply.payload);
    if (reply.type == FrameType::ready) {
        info.abi_version = in.u32();
        info.name = std::string(in.bytes());
        info.version = std::string(in.bytes());
        info.has_list_models = in.u32() != 0;
        info.has_stream = in.u32() != 0;
        info.sandbox = std::string(in.bytes());
        if (in.ok()) {
            if (runner->report_deaths()) return runner;
            failure = {LoadStep::load, "ISO-3", runner->death_reason() + " right after loading"};
            return nullptr;
        }
        failure = {LoadStep::validate, "ISO-3", "the runner's ready frame is malformed"};
        return nullptr;
    }
    if (reply.type == FrameType::load_failed) {
        auto step = static_cast<LoadStep>(in.u32());
        std::string rule(in.bytes()), cause(in.bytes());
        if (!in.ok() || step > LoadStep::startup) {
            failure = {LoadStep::load, "ISO-3", "the runner's load_failed frame is malformed"};
            return nullptr;
        }
        failure = {step, rule, cause};
        return nullptr;
    }
    std::string why = runner->death_reason();
    if (why.empty()) why = "the runner sent an unexpected frame while loading";
    failure = {LoadStep::load, "ISO-3", why + " while loading " + manifest_.library.string()};
    return nullptr;
}

bool RemotePlugin::start(RemoteInfo& info, LoadFailure& failure) {
    std::lock_guard launching(launch_mutex_);
    auto runner = launch(info, failure);
    std::lock_guard lock(state_mutex_);
    if (!runner) return false;
    runner_ = std::move(runner);
    down_ = false;
    crashes_.clear();
    consecutive_crashes_ = 0;
    total_crashes_ = 0;
    restarter_ = std::thread([this] { restart_loop(); });
    return true;
}

void RemotePlugin::restart_loop() {
    std::unique_lock lock(state_mutex_);
    while (!stopped_) {
        if (down_ && !quarantined_ && Clock::now() >= restart_at_) {
            lock.unlock();
            CallStatus why;
            uint64_t generation;
            acquire(why, generation);  // a failed start is recorded there, with a longer backoff
            lock.lock();
            continue;
        }
        if (down_ && !quarantined_)
            state_changed_.wait_until(lock, restart_at_);
        else
            state_changed_.wait(lock);
    }
}

std::shared_ptr<RunnerProcess> RemotePlugin::acquire(CallStatus& why, uint64_t& generation) {
    std::lock_guard launch_lock(launch_mutex_);  // one restart at a time
    {
        std::lock_guard lock(state_mutex_);
        if (stopped_) {
            why = unavailable(manifest_.id + ": the plugin was stopped");
            return nullptr;
        }
        if (runner_ && runner_->alive()) {
            generation = generation_;
            return runner_;
        }
        if (quarantined_) {
            why = unavailable(reason_);
            return nullptr;
        }
        const auto now = Clock::now();
        if (down_ && now < restart_at_) {
            why = unavailable(reason_ + "; restarting in " +
                              ms_text(std::chrono::duration_cast<milliseconds>(restart_at_ - now)));
            return nullptr;
        }
    }
    RemoteInfo info;
    LoadFailure failure;
    auto runner = launch(info, failure);
    // The dead runner is released after the lock: its reader may still be on its way into on_death.
    std::shared_ptr<RunnerProcess> old;
    std::unique_lock lock(state_mutex_);
    if (!runner) {
        record_crash_locked("could not be restarted: step " + std::string(step_name(failure.step)) + ": " +
                            failure.cause + " [" + failure.rule + "]");
        why = unavailable(reason_);
        return nullptr;
    }
    if (stopped_) {  // stopped while it loaded: stop it outside the lock (its reader reports to on_death)
        lock.unlock();
        runner.reset();
        why = unavailable(manifest_.id + ": the plugin was stopped");
        return nullptr;
    }
    log::info("plugin", manifest_.id + ": runner restarted (pid " + std::to_string(runner->pid()) + ")");
    old = std::move(runner_);
    runner_ = std::move(runner);
    down_ = false;
    generation = generation_;
    return runner_;
}

void RemotePlugin::record_crash_locked(const std::string& reason, bool current) {
    const auto now = Clock::now();
    crashes_.push_back(now);
    while (!crashes_.empty() && now - crashes_.front() > options_.quarantine_window) crashes_.pop_front();
    ++consecutive_crashes_;
    ++total_crashes_;
    last_failure_ = reason;
    if (!current) {  // a runner already replaced (its death was seen by a call first): counted, no more
        if (static_cast<int>(crashes_.size()) < options_.quarantine_after) return;
    }
    down_ = true;
    milliseconds backoff = options_.restart_backoff;
    for (int i = 1; i < consecutive_crashes_ && backoff < options_.max_restart_backoff; ++i) backoff *= 2;
    backoff = std::min(backoff, options_.max_restart_backoff);
    restart_at_ = now + backoff;
    if (static_cast<int>(crashes_.size()) >= options_.quarantine_after) {
        quarantined_ = true;
        reason_ = "quarantined after " + std::to_string(crashes_.size()) + " runner failures within " +
                  ms_text(options_.quarantine_window) + "; last: " + reason;
        log::error("plugin",
                   manifest_.id + ": " + reason_ + " (POST /api/v1/providers/" + manifest_.id + "/check retries it)");
    } else {
        reason_ = reason;
        log::warn("plugin", manifest_.id + ": " + reason + "; restarting in " + ms_text(backoff));
    }
    state_changed_.notify_all();
}

void RemotePlugin::on_death(uint64_t generation, const std::string& reason) {
    std::lock_guard lock(state_mutex_);
    if (stopped_) return;
    record_crash_locked(reason, generation == generation_);
}

CallStatus RemotePlugin::create_in(RunnerProcess& runner, uint64_t generation, InstanceHandle& inst) {
    uint64_t id;
    auto pending = runner.begin(id);
    runner.send(FrameType::create, id, PayloadWriter().bytes(inst.config_json).take());
    await_reply_or_kill(runner, pending, options_.load_deadline, "instance_create did not return");
    runner.end(id);
    std::lock_guard lock(pending->mutex);
    if (pending->reply.type != FrameType::created)
        return unavailable(runner.death_reason() + " during instance_create");
    PayloadReader in(pending->reply.payload);
    CallStatus st = read_status(in);
    const uint64_t handle = in.u64();
    std::string_view caps = in.bytes();
    if (!in.ok()) return CallStatus{AUTOARR_ERR_INTERNAL, 0, -1, 0, "the runner's created frame is malformed"};
    if (!st.ok()) return st;
    // The capabilities struct as the plugin filled it, up to its struct_size (same machine, same layout).
    autoarr_capabilities c{};
    std::memcpy(&c, caps.data(), std::min(caps.size(), sizeof c));
    c.struct_type = AUTOARR_STRUCT_CAPABILITIES;
    c.struct_size = static_cast<uint32_t>(std::min(caps.size(), sizeof c));
    inst.caps = c;
    inst.handle = handle;
    inst.generation = generation;
    return st;
}

CallStatus RemotePlugin::create(InstanceHandle& inst) {
    CallStatus why;
    uint64_t gen = 0;
    auto runner = acquire(why, gen);
    if (!runner) return why;
    std::lock_guard lock(inst.mutex);
    return create_in(*runner, gen, inst);
}

void RemotePlugin::destroy(const InstanceHandle& inst) {
    std::shared_ptr<RunnerProcess> runner;
    {
        std::lock_guard lock(state_mutex_);
        if (runner_ && generation_ == inst.generation) runner = runner_;
    }
    if (runner && runner->alive()) runner->send(FrameType::destroy, 0, PayloadWriter().u64(inst.handle).take());
}

CallStatus RemotePlugin::call(InstanceHandle& inst, Slot slot, const CallContext& call, std::string_view request,
                              std::string* output, const Instance::EventFn* on_event) {
    CallStatus why;
    uint64_t gen = 0;
    auto runner = acquire(why, gen);
    if (!runner) return why;
    uint64_t handle;
    {
        std::lock_guard lock(inst.mutex);
        if (inst.generation != gen) {  // the runner restarted: this instance lives on in the new one
            CallStatus st = create_in(*runner, gen, inst);
            if (!st.ok()) return st;
        }
        handle = inst.handle;
    }

    uint64_t id;
    auto pending = runner->begin(id);
    struct CancelHook {
        PendingCall* call;
        RunnerProcess* runner;
        static void AUTOARR_CALL fire(void* user) {
            auto* self = static_cast<CancelHook*>(user);
            {
                std::lock_guard lock(self->call->mutex);
                self->call->cancel_requested = true;
                self->call->changed.notify_all();
            }
            self->runner->interrupt();  // the caller may be reading the channel for itself
        }
    } hook{pending.get(), runner.get()};
    uint64_t registration = 0;
    if (call.token()) registration = call.token()->add(&CancelHook::fire, &hook);

    runner->send(
        FrameType::call, id,
        PayloadWriter().u64(handle).u32(static_cast<uint32_t>(slot)).i64(call.deadline_ns()).bytes(request).take());

    const int64_t deadline_ns = call.deadline_ns();
    const auto deadline =
        deadline_ns > 0 ? Clock::time_point(std::chrono::nanoseconds(deadline_ns)) : Clock::time_point::max();
    bool cancel_sent = false, stopped = false, killed = false, delivered = false;
    int32_t kill_code = AUTOARR_ERR_DEADLINE_EXCEEDED;
    std::string kill_reason;
    auto kill_at = Clock::time_point::max();
    std::unique_lock lock(pending->mutex);
    while (true) {
        while (!pending->events.empty()) {
            auto ev = std::move(pending->events.front());
            pending->events.pop_front();
            lock.unlock();
            bool go_on = true;
            if (!stopped && on_event) {
                delivered = true;
                try {
                    go_on = (*on_event)(ev.first, ev.second);
                } catch (const std::exception& e) {
                    log::error("plugin", manifest_.id + ": stream consumer threw: " + e.what());
                    go_on = false;
                }
            }
            if (!go_on && !stopped) {  // the consumer stopped: the plugin sees a cancel (ABI-18)
                stopped = true;
                runner->send(FrameType::cancel, id, {});
            }
            lock.lock();
        }
        if (pending->done) break;
        const auto now = Clock::now();
        if (!cancel_sent && (pending->cancel_requested || now >= deadline)) {
            cancel_sent = true;
            kill_code = pending->cancel_requested ? AUTOARR_ERR_CANCELLED : AUTOARR_ERR_DEADLINE_EXCEEDED;
            kill_at = now + options_.kill_grace;
            lock.unlock();
            runner->send(FrameType::cancel, id, {});
            lock.lock();
            continue;
        }
        if (cancel_sent && !killed && now >= kill_at) {
            killed = true;
            kill_reason = std::string(slot_name(slot)) + " ignored its " +
                          (kill_code == AUTOARR_ERR_CANCELLED ? "cancellation" : "deadline") + " for " +
                          ms_text(options_.kill_grace);
            lock.unlock();
            runner->kill_now(kill_reason);
            lock.lock();
            continue;
        }
        auto wake = cancel_sent ? kill_at : deadline;
        if (killed) wake = Clock::time_point::max();
        lock.unlock();
        runner->await(pending, wake, [&] {
            return pending->done || !pending->events.empty() || (!cancel_sent && pending->cancel_requested);
        });
        lock.lock();
    }
    Frame reply = std::move(pending->reply);
    lock.unlock();
    runner->end(id);
    if (registration) call.token()->remove(registration);

    CallStatus st;
    if (reply.type == FrameType::result) {
        PayloadReader in(reply.payload);
        st = read_status(in);
        std::string_view out = in.bytes();
        if (!in.ok()) return CallStatus{AUTOARR_ERR_INTERNAL, 0, -1, 0, "the runner's result frame is malformed"};
        if (output) output->assign(out);
        if (st.ok()) {
            std::lock_guard state(state_mutex_);
            consecutive_crashes_ = 0;
        }
        return st;
    }
    // The runner died (or was killed) during the call: a typed error naming why (ISO-4).
    const std::string reason = runner->death_reason() + " during " + std::string(slot_name(slot));
    st = killed ? CallStatus{kill_code, 0, -1, 0, reason} : unavailable(reason);
    if (delivered) st.flags |= AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT;
    return st;
}

Availability RemotePlugin::availability() const {
    std::lock_guard lock(state_mutex_);
    Availability a;
    a.runner_crashes = total_crashes_;
    a.last_failure = last_failure_;
    if (stopped_) {
        a.available = false;
        a.reason = "stopped";
    } else if (quarantined_) {
        a.available = false;
        a.quarantined = true;
        a.reason = reason_;
    } else if (down_) {
        a.available = false;
        a.reason = reason_;
    }
    return a;
}

bool RemotePlugin::retry() {
    std::lock_guard lock(state_mutex_);
    if (!quarantined_ && !down_) return false;
    const bool was_quarantined = quarantined_;
    quarantined_ = false;
    crashes_.clear();
    consecutive_crashes_ = 0;
    restart_at_ = Clock::now();
    if (was_quarantined) log::info("plugin", manifest_.id + ": quarantine lifted; starting a runner");
    state_changed_.notify_all();
    return was_quarantined;
}

void RemotePlugin::shutdown() {
    std::shared_ptr<RunnerProcess> runner;
    {
        std::lock_guard lock(state_mutex_);
        if (stopped_) return;
        stopped_ = true;
        runner = std::move(runner_);
        state_changed_.notify_all();
    }
    if (restarter_.joinable()) restarter_.join();
    if (!runner) return;
    if (runner->alive() && runner->send(FrameType::shutdown, 0, {})) {
        const auto until = Clock::now() + options_.kill_grace;
        while (runner->alive() && Clock::now() < until) std::this_thread::sleep_for(milliseconds(1));
    }
    runner.reset();  // SIGKILL if it is still there (a leaked thread, a hang in module_shutdown), reap
}

pid_t RemotePlugin::pid() const {
    std::lock_guard lock(state_mutex_);
    return runner_ && runner_->alive() ? runner_->pid() : 0;
}

LoadOutcome start_remote_plugin(const Manifest& m, int library_fd, const LoaderOptions& options,
                                std::unique_ptr<PluginHostContext> context) {
    auto remote = std::make_unique<RemotePlugin>(m, library_fd, options.runner, options.min_abi_version,
                                                 options.max_abi_version, context.get());
    RemoteInfo info;
    LoadFailure failure;
    if (!remote->start(info, failure)) return LoadOutcome{nullptr, failure};
    auto plugin = std::make_shared<LoadedPlugin>(m, info.abi_version, info, std::move(remote), std::move(context));
    return LoadOutcome{std::move(plugin), {}};
}

}  // namespace autoarr::plugin::isolation
