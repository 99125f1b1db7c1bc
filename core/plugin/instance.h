// One provider instance: the host's RAII owner of an autoarr_instance*.
// Every call goes through here so the ABI's rules hold in one place:
// exceptions contained (ABI-11), unknown codes mapped to INTERNAL (ABI-12),
// output sizes bounded (ABI-15), calls serialised unless the instance says
// it is thread-safe (ABI-17).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "plugin/host_services.h"
#include "plugin/loaded_plugin.h"

namespace autoarr::plugin {

// A call's outcome in host terms.
struct CallStatus {
    int32_t code = AUTOARR_OK;
    int32_t http_status = 0;
    int64_t retry_after_ms = -1;
    uint64_t flags = 0;
    std::string message;
    bool ok() const { return code == AUTOARR_OK; }
};

// AUTOARR_ERR_* name of a code ("UNAVAILABLE"); "INTERNAL" for unknown codes.
std::string_view code_name(int32_t code);
// Maps codes this host does not know to AUTOARR_ERR_INTERNAL (ABI-12).
int32_t normalise_code(int32_t code);

class Instance {
public:
    // Default cap on a single JSON output (a health detail, a completion).
    static constexpr std::size_t kMaxOutputBytes = 16 * 1024 * 1024;

    // Creates an instance from JSON settings. On failure returns null and fills status.
    static std::unique_ptr<Instance> create(std::shared_ptr<LoadedPlugin> plugin, std::string_view config_json,
                                            CallStatus& status);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    const LoadedPlugin& plugin() const { return *plugin_; }
    uint64_t capability_flags() const { return caps_.flags; }
    uint32_t max_concurrency() const { return caps_.max_concurrency; }
    bool can_stream() const;
    bool can_list_models() const;

    CallStatus health(const CallContext& call, std::string& detail_json);
    CallStatus list_models(const CallContext& call, std::string& models_json);
    CallStatus complete(const CallContext& call, std::string_view request_json, std::string& response_json);
    // on_event(kind, data) returns false to stop the stream.
    using EventFn = std::function<bool(uint32_t kind, std::string_view data)>;
    CallStatus stream(const CallContext& call, std::string_view request_json, const EventFn& on_event);

private:
    Instance(std::shared_ptr<LoadedPlugin> plugin, autoarr_instance* raw, autoarr_capabilities caps);
    template <class Fn>
    CallStatus invoke(const char* slot, Fn&& fn);

    std::shared_ptr<LoadedPlugin> plugin_;
    autoarr_instance* raw_;
    autoarr_capabilities caps_;
    std::mutex serial_;  // used only when the instance is not thread-safe
};

}  // namespace autoarr::plugin
