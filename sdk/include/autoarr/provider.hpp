// autoarr/provider.hpp -- header-only C++17 helper for provider plugin authors.
//
// Derive from autoarr::sdk::Provider, implement the virtual functions, and
// write AUTOARR_DEFINE_PROVIDER(...) once in one source file. The macro emits
// the single exported C entry point and a static provider table whose every
// slot is a trampoline that catches all exceptions (ABI-11): nothing thrown in
// your code ever crosses into the host. Throw autoarr::sdk::Error to report a
// typed failure; any other exception becomes AUTOARR_ERR_INTERNAL with its
// what() as the message.
//
// Ownership follows provider.h: every view handed to you is borrowed for the
// duration of the call; everything you produce is copied by the host.
#ifndef AUTOARR_PROVIDER_HPP
#define AUTOARR_PROVIDER_HPP

#include <autoarr/provider.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace autoarr::sdk {

// A typed failure. Thrown by plugin code, converted into autoarr_error by the
// trampolines.
class Error : public std::exception {
public:
    Error(int32_t code, std::string message, int32_t http_status = 0, int64_t retry_after_ms = -1, uint64_t flags = 0)
        : code_(code),
          http_status_(http_status),
          retry_after_ms_(retry_after_ms),
          flags_(flags),
          message_(std::move(message)) {}

    const char* what() const noexcept override { return message_.c_str(); }
    int32_t code() const noexcept { return code_; }
    int32_t http_status() const noexcept { return http_status_; }
    int64_t retry_after_ms() const noexcept { return retry_after_ms_; }
    uint64_t flags() const noexcept { return flags_; }
    void add_flags(uint64_t f) noexcept { flags_ |= f; }
    // The backend's id for the failed request (ABI 1.1; dropped under 1.0).
    const std::string& request_id() const noexcept { return request_id_; }
    Error& with_request_id(std::string id) {
        request_id_ = std::move(id);
        return *this;
    }

private:
    int32_t code_;
    int32_t http_status_;
    int64_t retry_after_ms_;
    uint64_t flags_;
    std::string message_;
    std::string request_id_;
};

// The host's services as seen by one plugin module. Valid from startup to
// shutdown; all members are thread-safe.
class Host {
public:
    Host() = default;
    Host(const autoarr_host_services* services, void* context, uint32_t abi_version = AUTOARR_ABI_VERSION_1_0)
        : s_(services), ctx_(context), abi_(abi_version) {}

    bool valid() const noexcept { return s_ != nullptr; }
    // The version negotiation chose. Use a later version's features only when
    // this is at least that version: the host may be older than your header.
    uint32_t abi_version() const noexcept { return abi_; }
    bool abi_at_least(uint32_t version) const noexcept { return abi_ >= version; }

    void log(int32_t level, std::string_view msg) const noexcept {
        if (s_ && s_->log) s_->log(ctx_, level, msg.data(), msg.size());
    }
    bool log_enabled(int32_t level) const noexcept {
        return s_ && s_->log_enabled && s_->log_enabled(ctx_, level) != 0;
    }
    int64_t monotonic_ns() const noexcept { return s_ && s_->monotonic_ns ? s_->monotonic_ns() : 0; }

    // The named secret, or nullopt when the host has none configured.
    std::optional<std::string> secret(std::string_view name) const {
        if (!s_ || !s_->get_secret) return std::nullopt;
        std::string value;
        autoarr_byte_sink sink{AUTOARR_STRUCT_BYTE_SINK, sizeof(autoarr_byte_sink), &value, &append_to_string};
        if (s_->get_secret(ctx_, name.data(), name.size(), &sink) != AUTOARR_OK) return std::nullopt;
        return value;
    }

    void counter(std::string_view name, double add) const noexcept {
        if (s_ && s_->metric) s_->metric(ctx_, name.data(), name.size(), 0, add);
    }

    // ABI 1.1: records the backend's request id on err, when the host's
    // table has the slot (a 1.0 host's does not; then nothing happens).
    void set_error_request_id(autoarr_error* err, std::string_view id) const noexcept {
#ifdef AUTOARR_ABI_VERSION_1_1  // compiled against a 1.0 header (a frozen copy), the helper is 1.0
        if (err && !id.empty() && s_ && AUTOARR_HAS_FIELD(s_, autoarr_host_services, set_error_request_id) &&
            s_->set_error_request_id)
            s_->set_error_request_id(err, id.data(), id.size());
#else
        (void)err;
        (void)id;
#endif
    }

    const autoarr_host_services* raw() const noexcept {
        return s_;
    }

private:
    static int32_t AUTOARR_CALL append_to_string(void* user, const char* data, size_t len) {
        try {
            static_cast<std::string*>(user)->append(data, len);
            return 0;
        } catch (...) {
            return 1;
        }
    }
    const autoarr_host_services* s_ = nullptr;
    void* ctx_ = nullptr;
    uint32_t abi_ = AUTOARR_ABI_VERSION_1_0;
};

// The module-wide host handle (one per plugin library: hidden visibility
// gives each plugin its own copy of this inline variable).
inline Host& module_host() {
    static Host host;
    return host;
}

// RAII registration of a cancellation callback: removed (and guaranteed not
// running) when this object is destroyed.
class CancelRegistration {
public:
    CancelRegistration() = default;
    CancelRegistration(const autoarr_call_context* call, std::function<void()> fn)
        : call_(call), fn_(std::make_unique<std::function<void()>>(std::move(fn))) {
        const auto* s = module_host().raw();
        if (s && s->add_cancel_callback && call_) id_ = s->add_cancel_callback(call_, &invoke, fn_.get());
    }
    CancelRegistration(CancelRegistration&& o) noexcept
        : call_(o.call_), fn_(std::move(o.fn_)), id_(std::exchange(o.id_, 0)) {}
    CancelRegistration& operator=(CancelRegistration&&) = delete;
    CancelRegistration(const CancelRegistration&) = delete;
    ~CancelRegistration() {
        const auto* s = module_host().raw();
        if (id_ && s && s->remove_cancel_callback) s->remove_cancel_callback(call_, id_);
    }

private:
    static void AUTOARR_CALL invoke(void* user) noexcept {
        try {
            (*static_cast<std::function<void()>*>(user))();
        } catch (...) {
        }
    }
    const autoarr_call_context* call_ = nullptr;
    std::unique_ptr<std::function<void()>> fn_;
    uint64_t id_ = 0;
};

// The deadline and cancellation of one call.
class Call {
public:
    explicit Call(const autoarr_call_context* raw) : raw_(raw) {}
    bool cancelled() const noexcept {
        const auto* s = module_host().raw();
        return raw_ && s && s->is_cancelled && s->is_cancelled(raw_) != 0;
    }
    // Nanoseconds left before the deadline; nullopt when there is none.
    std::optional<int64_t> remaining_ns() const noexcept {
        if (!raw_ || raw_->deadline_ns == 0) return std::nullopt;
        return raw_->deadline_ns - module_host().monotonic_ns();
    }
    [[nodiscard]] CancelRegistration on_cancel(std::function<void()> fn) const {
        return CancelRegistration(raw_, std::move(fn));
    }
    const autoarr_call_context* raw() const noexcept { return raw_; }

private:
    const autoarr_call_context* raw_;
};

// Writes streamed events to the host's handler. Each function returns false
// when the host asked to stop. Then end the backend request and return from
// stream(), normally or by throwing: either way the helper returns
// AUTOARR_ERR_CANCELLED to the host, as provider.h requires, and no later
// event reaches the host.
class StreamWriter {
public:
    explicit StreamWriter(const autoarr_stream_handler* h) : h_(h) {}
    bool text(std::string_view t) { return emit(AUTOARR_EVENT_TEXT_DELTA, t); }
    bool usage(std::string_view json) { return emit(AUTOARR_EVENT_USAGE, json); }
    bool done(std::string_view json) { return emit(AUTOARR_EVENT_DONE, json); }
    // ABI 1.1: one whole tool call, {"index","id","name","arguments"}. Under
    // 1.0 the host sent no tools, so there is none to report: nothing is sent.
    bool tool_call(std::string_view json) {
#ifdef AUTOARR_ABI_VERSION_1_1
        if (module_host().abi_at_least(AUTOARR_ABI_VERSION_1_1)) return emit(AUTOARR_EVENT_TOOL_CALL, json);
#endif
        (void)json;
        return !stopped_;
    }
    bool any_delivered() const noexcept {
        return delivered_;
    }
    bool stop_requested() const noexcept {
        return stopped_;
    }

private:
    bool emit(uint32_t kind, std::string_view data) {
        if (stopped_) return false;
        autoarr_stream_event ev{
            AUTOARR_STRUCT_STREAM_EVENT, sizeof(autoarr_stream_event), kind, 0, data.data(), data.size()};
        delivered_ = true;
        stopped_ = h_->on_event(h_->user, &ev) != 0;
        return !stopped_;
    }
    const autoarr_stream_handler* h_;
    bool delivered_ = false;
    bool stopped_ = false;
};

struct Capabilities {
    uint64_t flags = 0;
    uint32_t max_concurrency = 0;
};

// Base class of a provider instance. Construct it in a static
//   static std::unique_ptr<YourProvider> create(std::string_view config_json);
// that throws Error(AUTOARR_ERR_CONFIG_INVALID, "...") on bad settings.
class Provider {
public:
    virtual ~Provider() = default;
    virtual Capabilities capabilities() const = 0;
    // Returns an "autoarr.health/1" JSON object; throws Error when unhealthy.
    virtual std::string health(const Call& call) = 0;
    // Returns an "autoarr.models/1" JSON object.
    virtual std::string list_models(const Call&) {
        throw Error(AUTOARR_ERR_UNSUPPORTED, "list_models is not supported");
    }
    // Returns an "autoarr.chat_response/1" JSON object.
    virtual std::string complete(const Call& call, std::string_view request_json) = 0;
    virtual void stream(const Call&, std::string_view, StreamWriter&) {
        throw Error(AUTOARR_ERR_UNSUPPORTED, "streaming is not supported");
    }

    // Module hooks; hide them in the derived class to run code at startup
    // (after which host services are available) and at shutdown.
    static void on_module_startup() {}
    static void on_module_shutdown() {}
};

namespace detail {

inline void set_message(autoarr_error* err, std::string_view msg) noexcept {
    const auto* s = module_host().raw();
    if (err && s && s->set_error_message) s->set_error_message(err, msg.data(), msg.size());
}

inline int32_t fail(autoarr_error* err, int32_t code, std::string_view msg, int32_t http = 0, int64_t retry_after = -1,
                    uint64_t flags = 0) noexcept {
    if (err) {
        err->code = code;
        err->http_status = http;
        err->retry_after_ms = retry_after;
        err->flags = flags;
    }
    set_message(err, msg);
    return code;
}

// Runs fn and converts every exception into an error code: the one place
// where the "no exception crosses the ABI" rule is enforced.
template <class Fn>
int32_t guarded(autoarr_error* err, Fn&& fn) noexcept {
    try {
        fn();
        return AUTOARR_OK;
    } catch (const Error& e) {
        module_host().set_error_request_id(err, e.request_id());
        return fail(err, e.code(), e.what(), e.http_status(), e.retry_after_ms(), e.flags());
    } catch (const std::bad_alloc&) {
        return fail(err, AUTOARR_ERR_INTERNAL, "out of memory");
    } catch (const std::exception& e) {
        return fail(err, AUTOARR_ERR_INTERNAL, e.what());
    } catch (...) {
        return fail(err, AUTOARR_ERR_INTERNAL, "unknown exception");
    }
}

inline void write_all(const autoarr_byte_sink* sink, std::string_view data) {
    if (sink->write(sink->user, data.data(), data.size()) != 0)
        throw Error(AUTOARR_ERR_REQUEST_TOO_LARGE, "the host refused the output (size limit)");
}

template <class P>
struct Module {
    static P* self(autoarr_instance* i) { return reinterpret_cast<P*>(i); }

    static int32_t AUTOARR_CALL startup(const autoarr_startup_args* args, autoarr_error* err) {
        if (!args || args->struct_type != AUTOARR_STRUCT_STARTUP_ARGS || !args->host_services)
            return AUTOARR_ERR_INVALID_ARGUMENT;
        module_host() = Host(args->host_services, args->host_context, args->abi_version);
        return guarded(err, [] { P::on_module_startup(); });
    }
    static void AUTOARR_CALL shutdown() {
        try {
            P::on_module_shutdown();
        } catch (...) {
        }
    }
    static int32_t AUTOARR_CALL create(const char* cfg, size_t len, autoarr_instance** out, autoarr_error* err) {
        return guarded(err, [&] {
            std::unique_ptr<P> p = P::create(std::string_view(cfg ? cfg : "", cfg ? len : 0));
            *out = reinterpret_cast<autoarr_instance*>(p.release());
        });
    }
    static void AUTOARR_CALL destroy(autoarr_instance* i) {
        try {
            delete self(i);
        } catch (...) {
        }
    }
    static int32_t AUTOARR_CALL caps(autoarr_instance* i, autoarr_capabilities* c) {
        autoarr_error ignored{};
        return guarded(&ignored, [&] {
            Capabilities k = self(i)->capabilities();
            if (AUTOARR_HAS_FIELD(c, autoarr_capabilities, flags)) c->flags = k.flags;
            if (AUTOARR_HAS_FIELD(c, autoarr_capabilities, max_concurrency)) c->max_concurrency = k.max_concurrency;
        });
    }
    static int32_t AUTOARR_CALL health(autoarr_instance* i, const autoarr_call_context* call,
                                       const autoarr_byte_sink* detail, autoarr_error* err) {
        return guarded(err, [&] { write_all(detail, self(i)->health(Call(call))); });
    }
    static int32_t AUTOARR_CALL models(autoarr_instance* i, const autoarr_call_context* call,
                                       const autoarr_byte_sink* out, autoarr_error* err) {
        return guarded(err, [&] { write_all(out, self(i)->list_models(Call(call))); });
    }
    static int32_t AUTOARR_CALL complete(autoarr_instance* i, const autoarr_call_context* call, const char* req,
                                         size_t len, const autoarr_byte_sink* out, autoarr_error* err) {
        return guarded(err, [&] { write_all(out, self(i)->complete(Call(call), std::string_view(req, len))); });
    }
    static int32_t AUTOARR_CALL stream(autoarr_instance* i, const autoarr_call_context* call, const char* req,
                                       size_t len, const autoarr_stream_handler* h, autoarr_error* err) {
        StreamWriter writer(h);
        int32_t rc = guarded(err, [&] { self(i)->stream(Call(call), std::string_view(req, len), writer); });
        // The one stream-stop contract (provider.h): the host asked to stop, so
        // the call was cancelled, whatever the plugin code returned or threw.
        if (writer.stop_requested() && rc != AUTOARR_ERR_CANCELLED)
            rc = fail(err, AUTOARR_ERR_CANCELLED, "the host stopped the stream");
        if (rc != AUTOARR_OK && writer.any_delivered() && err) err->flags |= AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT;
        return rc;
    }

    static const autoarr_provider_table* table() {
        static const autoarr_provider_table t = {AUTOARR_STRUCT_PROVIDER_TABLE,
                                                 sizeof(autoarr_provider_table),
                                                 &startup,
                                                 &shutdown,
                                                 &create,
                                                 &destroy,
                                                 &caps,
                                                 &health,
                                                 &models,
                                                 &complete,
                                                 &stream,
                                                 nullptr};
        return &t;
    }
};

}  // namespace detail
}  // namespace autoarr::sdk

// Emits the plugin's exported entry point. Use once per plugin, at namespace
// scope, in one source file. PRIORITY: lower is tried first.
#define AUTOARR_DEFINE_PROVIDER(CLASS, ID, NAME, VERSION, DESCRIPTION, PRIORITY)                                       \
    extern "C" AUTOARR_PLUGIN_EXPORT int32_t AUTOARR_CALL autoarr_provider_negotiate(                                  \
        const autoarr_negotiate_input* in, autoarr_negotiate_output* out) {                                            \
        static const autoarr_plugin_info info = {                                                                      \
            AUTOARR_STRUCT_PLUGIN_INFO, sizeof(autoarr_plugin_info), ID, NAME, VERSION, DESCRIPTION, PRIORITY, 0};     \
        try {                                                                                                          \
            return autoarr_fill_negotiate_output(in, out, AUTOARR_ABI_VERSION_1_0, AUTOARR_ABI_VERSION_CURRENT, &info, \
                                                 ::autoarr::sdk::detail::Module<CLASS>::table());                      \
        } catch (...) {                                                                                                \
            return AUTOARR_ERR_INTERNAL;                                                                               \
        }                                                                                                              \
    }

#endif  // AUTOARR_PROVIDER_HPP
