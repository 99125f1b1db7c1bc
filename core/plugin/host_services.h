// The host side of the provider ABI: the services table every plugin gets,
// and the host-owned per-call objects (error, deadline, cancellation) whose
// raw C structs are handed to plugin calls (docs/abi-policy.md ABI-13/14/16).
#pragma once

#include <autoarr/provider.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace autoarr::plugin {

// What the host knows about one plugin when it calls back into the host.
// Passed as host_context; lives as long as the plugin (never freed while the
// library is loaded).
struct PluginHostContext {
    std::string plugin_id;
    // Secret lookup in this plugin's scope (wired by the application).
    std::function<std::optional<std::string>(std::string_view name)> secret;
    // Metric hook: kind 0 counter add, 1 gauge set.
    std::function<void(std::string_view name, int32_t kind, double value)> metric;
};

// The services table as a host of ABI `abi_version` presents it: for 1.0 its
// struct_size ends before the 1.1 slots, exactly as a 1.0 host's table would,
// so a newer plugin that negotiated 1.0 sees a 1.0 host (ABI-4). Static
// storage; valid for the life of the process.
const autoarr_host_services* host_services(uint32_t abi_version = AUTOARR_ABI_VERSION_CURRENT);

int64_t monotonic_now_ns();

// Host-owned error of one call. The plugin fills the numeric fields and sets
// the message through host_services()->set_error_message.
class CallError {
public:
    CallError();
    CallError(const CallError&) = delete;
    CallError& operator=(const CallError&) = delete;

    autoarr_error* raw() { return &err_; }
    int32_t code() const { return err_.code; }
    int32_t http_status() const { return err_.http_status; }
    int64_t retry_after_ms() const { return err_.retry_after_ms; }
    uint64_t flags() const { return err_.flags; }
    const std::string& message() const { return message_; }
    const std::string& request_id() const { return request_id_; }  // ABI 1.1: the backend's id, or empty
    // Keeps the first kMaxMessageBytes: a plugin's 200 MB message is never
    // copied whole (the caller shows at most 4 KiB of it, util::safe_error_text).
    static constexpr std::size_t kMaxMessageBytes = 64 * 1024;
    void set_message(std::string_view m) { message_.assign(m.substr(0, kMaxMessageBytes)); }
    static constexpr std::size_t kMaxRequestIdBytes = 256;
    void set_request_id(std::string_view id) { request_id_.assign(id.substr(0, kMaxRequestIdBytes)); }

private:
    autoarr_error err_{};
    std::string message_;
    std::string request_id_;
};

// Cancellation of one call: cancel() may come from any thread and runs the
// registered callbacks; remove() waits for a running callback to finish.
class CancelToken {
public:
    void cancel();
    bool cancelled() const;
    // Returns 0 when fn ran at once because the token was already cancelled.
    uint64_t add(void(AUTOARR_CALL* fn)(void*), void* user);
    void remove(uint64_t id);

private:
    struct Callback {
        void(AUTOARR_CALL* fn)(void*);
        void* user;
    };
    mutable std::mutex mutex_;
    std::condition_variable done_;
    bool cancelled_ = false;
    uint64_t next_id_ = 1;
    uint64_t running_ = 0;
    std::map<uint64_t, Callback> callbacks_;
};

// The per-call context handed to plugins: deadline plus cancellation.
class CallContext {
public:
    explicit CallContext(int64_t deadline_ns = 0, CancelToken* token = nullptr);
    CallContext(const CallContext&) = delete;
    CallContext& operator=(const CallContext&) = delete;

    const autoarr_call_context* raw() const { return &ctx_; }
    int64_t deadline_ns() const { return ctx_.deadline_ns; }
    CancelToken* token() const { return token_; }

private:
    autoarr_call_context ctx_{};
    CancelToken* token_;
};

}  // namespace autoarr::plugin
