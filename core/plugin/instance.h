// One provider instance: the host's RAII owner of an autoarr_instance*.
// Every call goes through here so the ABI's rules hold in one place:
// exceptions contained (ABI-11), unknown codes mapped to INTERNAL (ABI-12),
// output sizes bounded (ABI-15), calls serialised unless the instance says
// it is thread-safe (ABI-17). Whether the plugin runs in this process or in
// a runner (ISO-1) is decided behind this class: the router sees one interface.
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
    CallStatus() = default;
    CallStatus(int32_t code_, int32_t http_status_, int64_t retry_after_ms_, uint64_t flags_, std::string message_)
        : code(code_),
          http_status(http_status_),
          retry_after_ms(retry_after_ms_),
          flags(flags_),
          message(std::move(message_)) {}
    int32_t code = AUTOARR_OK;
    int32_t http_status = 0;
    int64_t retry_after_ms = -1;
    uint64_t flags = 0;
    std::string message;
    std::string request_id;  // ABI 1.1: the backend's id for the failed request, when it gave one
    bool ok() const { return code == AUTOARR_OK; }
};

// AUTOARR_ERR_* name of a code ("UNAVAILABLE"); "INTERNAL" for unknown codes.
std::string_view code_name(int32_t code);
// Maps codes this host does not know to AUTOARR_ERR_INTERNAL (ABI-12).
int32_t normalise_code(int32_t code);

// Whether a process-isolated provider can take calls now (in-process: always).
struct Availability {
    bool available = true;
    bool quarantined = false;
    std::string reason;           // why not: the runner's last failure
    uint64_t runner_crashes = 0;  // every runner failure since the plugin was loaded
    std::string last_failure;     // the newest runner failure, kept after the restart (empty: none yet)
};

// Where an instance's calls go: this process (the plugin's table) or a runner.
class InstanceBackend {
public:
    virtual ~InstanceBackend() = default;
    using EventFn = std::function<bool(uint32_t kind, std::string_view data)>;
    virtual CallStatus health(const CallContext& call, std::string& detail_json) = 0;
    virtual CallStatus list_models(const CallContext& call, std::string& models_json) = 0;
    virtual CallStatus complete(const CallContext& call, std::string_view request_json, std::string& response_json) = 0;
    virtual CallStatus stream(const CallContext& call, std::string_view request_json, const EventFn& on_event) = 0;
    virtual Availability availability() const { return {}; }
    virtual bool retry() { return false; }
};

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
    const autoarr_capabilities& capabilities() const { return caps_; }
    uint64_t capability_flags() const { return caps_.flags; }
    uint32_t max_concurrency() const { return caps_.max_concurrency; }
    bool can_stream() const;
    bool can_list_models() const;

    CallStatus health(const CallContext& call, std::string& detail_json);
    CallStatus list_models(const CallContext& call, std::string& models_json);
    CallStatus complete(const CallContext& call, std::string_view request_json, std::string& response_json);
    // on_event(kind, data) returns false to stop the stream.
    using EventFn = InstanceBackend::EventFn;
    CallStatus stream(const CallContext& call, std::string_view request_json, const EventFn& on_event);

    // A process-isolated provider's runner state (ISO-4, ISO-5).
    Availability availability() const { return backend_->availability(); }
    // Lifts a quarantine so the next call starts a runner again; false when there was none.
    bool retry() { return backend_->retry(); }

    Instance(std::shared_ptr<LoadedPlugin> plugin, std::unique_ptr<InstanceBackend> backend, autoarr_capabilities caps);

private:
    template <class Fn>
    CallStatus serialised(Fn&& fn);

    std::shared_ptr<LoadedPlugin> plugin_;
    std::unique_ptr<InstanceBackend> backend_;
    autoarr_capabilities caps_;
    std::mutex serial_;  // used only when the instance is not thread-safe
};

}  // namespace autoarr::plugin
