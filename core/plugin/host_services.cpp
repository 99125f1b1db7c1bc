#include "plugin/host_services.h"

#include <chrono>

#include "http/text_limits.h"
#include "util/log.h"

namespace autoarr::plugin {
namespace {

constexpr std::size_t kMaxLogLineBytes = 16 * 1024;  // the most of one plugin log line that is written

log::Level to_level(int32_t level) {
    switch (level) {
        case AUTOARR_LOG_TRACE:
            return log::Level::trace;
        case AUTOARR_LOG_DEBUG:
            return log::Level::debug;
        case AUTOARR_LOG_INFO:
            return log::Level::info;
        case AUTOARR_LOG_WARN:
            return log::Level::warn;
        default:
            return log::Level::error;
    }
}

PluginHostContext* context_of(void* host_context) {
    return static_cast<PluginHostContext*>(host_context);
}

void AUTOARR_CALL svc_log(void* host_context, int32_t level, const char* msg, size_t len) {
    try {
        auto* ctx = context_of(host_context);
        std::string component = "plugin " + (ctx ? ctx->plugin_id : std::string("?"));
        // One line, however long or strange the plugin's text (log::write escapes controls).
        log::write(to_level(level), component,
                   http::bounded_text(std::string_view(msg ? msg : "", msg ? len : 0), kMaxLogLineBytes));
    } catch (...) {
    }
}

int32_t AUTOARR_CALL svc_log_enabled(void*, int32_t level) {
    return log::enabled(to_level(level)) ? 1 : 0;
}

void AUTOARR_CALL svc_set_error_message(autoarr_error* err, const char* msg, size_t len) {
    if (!err || err->struct_type != AUTOARR_STRUCT_ERROR || !err->host_reserved) return;
    try {
        static_cast<CallError*>(err->host_reserved)->set_message(std::string_view(msg ? msg : "", msg ? len : 0));
    } catch (...) {
    }
}

// ABI 1.1 and later.
void AUTOARR_CALL svc_set_error_request_id(autoarr_error* err, const char* id, size_t len) {
    if (!err || err->struct_type != AUTOARR_STRUCT_ERROR || !err->host_reserved) return;
    try {
        static_cast<CallError*>(err->host_reserved)->set_request_id(std::string_view(id ? id : "", id ? len : 0));
    } catch (const std::exception& e) {
        log::write(log::Level::warn, "host", std::string("set_error_request_id: ") + e.what());
    }
}

CancelToken* token_of(const autoarr_call_context* call) {
    if (!call || call->struct_type != AUTOARR_STRUCT_CALL_CONTEXT) return nullptr;
    return static_cast<CancelToken*>(call->host_reserved);
}

int32_t AUTOARR_CALL svc_is_cancelled(const autoarr_call_context* call) {
    CancelToken* t = token_of(call);
    return t && t->cancelled() ? 1 : 0;
}

uint64_t AUTOARR_CALL svc_add_cancel_callback(const autoarr_call_context* call, void(AUTOARR_CALL* fn)(void*),
                                              void* user) {
    CancelToken* t = token_of(call);
    if (!fn) return 0;
    if (!t) return UINT64_MAX;  // a call that can never be cancelled: a valid no-op registration
    try {
        uint64_t id = t->add(fn, user);
        return id == 0 ? UINT64_MAX - 1 : id;
    } catch (...) {
        return 0;
    }
}

void AUTOARR_CALL svc_remove_cancel_callback(const autoarr_call_context* call, uint64_t id) {
    if (CancelToken* t = token_of(call)) t->remove(id);
}

int64_t AUTOARR_CALL svc_monotonic_ns() {
    return monotonic_now_ns();
}

int32_t AUTOARR_CALL svc_get_secret(void* host_context, const char* name, size_t name_len,
                                    const autoarr_byte_sink* out) {
    try {
        auto* ctx = context_of(host_context);
        if (!ctx || !ctx->secret || !out || !out->write) return AUTOARR_ERR_NOT_FOUND;
        auto value = ctx->secret(std::string_view(name ? name : "", name ? name_len : 0));
        if (!value) return AUTOARR_ERR_NOT_FOUND;
        return out->write(out->user, value->data(), value->size()) == 0 ? AUTOARR_OK : AUTOARR_ERR_INTERNAL;
    } catch (...) {
        return AUTOARR_ERR_INTERNAL;
    }
}

void AUTOARR_CALL svc_metric(void* host_context, const char* name, size_t name_len, int32_t kind, double value) {
    try {
        auto* ctx = context_of(host_context);
        if (ctx && ctx->metric) ctx->metric(std::string_view(name ? name : "", name ? name_len : 0), kind, value);
    } catch (...) {
    }
}

const autoarr_host_services kServices = {
    AUTOARR_STRUCT_HOST_SERVICES,
    sizeof(autoarr_host_services),
    &svc_log,
    &svc_log_enabled,
    &svc_set_error_message,
    &svc_is_cancelled,
    &svc_add_cancel_callback,
    &svc_remove_cancel_callback,
    &svc_monotonic_ns,
    &svc_get_secret,
    &svc_metric,
    &svc_set_error_request_id, /* ABI 1.1 and later */
};

// What a 1.0 host presents: the same functions, a table that ends at metric.
const autoarr_host_services kServices1_0 = [] {
    autoarr_host_services t = kServices;
    t.struct_size = static_cast<uint32_t>(offsetof(autoarr_host_services, metric) + sizeof(t.metric));
    t.set_error_request_id = nullptr;
    return t;
}();

}  // namespace

const autoarr_host_services* host_services(uint32_t abi_version) {
    return abi_version >= AUTOARR_ABI_VERSION_1_1 ? &kServices : &kServices1_0;
}

int64_t monotonic_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

CallError::CallError() {
    err_.struct_type = AUTOARR_STRUCT_ERROR;
    err_.struct_size = sizeof(autoarr_error);
    err_.code = AUTOARR_OK;
    err_.retry_after_ms = -1;
    err_.host_reserved = this;
}

void CancelToken::cancel() {
    std::unique_lock lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    // Run callbacks one at a time without holding the lock, so a callback may
    // itself touch the token (is_cancelled) without deadlocking.
    while (!callbacks_.empty()) {
        auto it = callbacks_.begin();
        Callback cb = it->second;
        running_ = it->first;
        callbacks_.erase(it);
        lock.unlock();
        cb.fn(cb.user);
        lock.lock();
        running_ = 0;
        done_.notify_all();
    }
}

bool CancelToken::cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

uint64_t CancelToken::add(void(AUTOARR_CALL* fn)(void*), void* user) {
    {
        std::lock_guard lock(mutex_);
        if (!cancelled_) {
            uint64_t id = next_id_++;
            callbacks_.emplace(id, Callback{fn, user});
            return id;
        }
    }
    fn(user);
    return 0;
}

void CancelToken::remove(uint64_t id) {
    std::unique_lock lock(mutex_);
    callbacks_.erase(id);
    done_.wait(lock, [&] { return running_ != id; });
}

CallContext::CallContext(int64_t deadline_ns, CancelToken* token) : token_(token) {
    ctx_.struct_type = AUTOARR_STRUCT_CALL_CONTEXT;
    ctx_.struct_size = sizeof(autoarr_call_context);
    ctx_.deadline_ns = deadline_ns;
    ctx_.host_reserved = token;
}

}  // namespace autoarr::plugin
