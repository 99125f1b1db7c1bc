#include "plugin/instance.h"

#include "http/text_limits.h"
#include "plugin/abi_sizes.h"
#include "plugin/isolation/remote_instance.h"
#include "util/log.h"
#include "util/secret_scrubber.h"

namespace autoarr::plugin {
namespace {

// A byte sink that appends to a string up to a limit.
struct StringSink {
    std::string* out;
    std::size_t limit;

    static int32_t AUTOARR_CALL write(void* user, const char* data, size_t len) {
        auto* self = static_cast<StringSink*>(user);
        if (self->out->size() + len > self->limit) return 1;
        try {
            self->out->append(data, len);
            return 0;
        } catch (...) {
            return 1;
        }
    }
    autoarr_byte_sink raw() {
        return autoarr_byte_sink{AUTOARR_STRUCT_BYTE_SINK, sizeof(autoarr_byte_sink), this, &StringSink::write};
    }
};

CallStatus status_from(int32_t rc, const CallError& err) {
    CallStatus s;
    s.code = normalise_code(rc);
    if (s.code == AUTOARR_OK) return s;
    s.http_status = err.http_status();
    s.retry_after_ms = err.retry_after_ms();
    s.flags = err.flags();
    s.message = util::safe_error_text(err.message());  // bounded, valid UTF-8, no known secret
    if (s.message.empty()) s.message = std::string(code_name(s.code));
    s.request_id = util::safe_error_text(err.request_id());
    if (!s.request_id.empty()) s.message += " (request id " + s.request_id + ")";  // what the operator quotes
    if (s.code != rc) s.message += " (plugin returned unknown code " + std::to_string(rc) + ")";
    return s;
}

}  // namespace

std::string_view code_name(int32_t code) {
    switch (code) {
        case AUTOARR_OK:
            return "OK";
        case AUTOARR_ERR_INVALID_ARGUMENT:
            return "INVALID_ARGUMENT";
        case AUTOARR_ERR_UNAVAILABLE:
            return "UNAVAILABLE";
        case AUTOARR_ERR_RATE_LIMITED:
            return "RATE_LIMITED";
        case AUTOARR_ERR_AUTH_FAILED:
            return "AUTH_FAILED";
        case AUTOARR_ERR_DEADLINE_EXCEEDED:
            return "DEADLINE_EXCEEDED";
        case AUTOARR_ERR_CANCELLED:
            return "CANCELLED";
        case AUTOARR_ERR_BACKEND_ERROR:
            return "BACKEND_ERROR";
        case AUTOARR_ERR_INVALID_RESPONSE:
            return "INVALID_RESPONSE";
        case AUTOARR_ERR_CONFIG_INVALID:
            return "CONFIG_INVALID";
        case AUTOARR_ERR_NOT_FOUND:
            return "NOT_FOUND";
        case AUTOARR_ERR_UNSUPPORTED:
            return "UNSUPPORTED";
        case AUTOARR_ERR_REQUEST_TOO_LARGE:
            return "REQUEST_TOO_LARGE";
        case AUTOARR_ERR_PERMISSION_DENIED:
            return "PERMISSION_DENIED";
        default:
            return "INTERNAL";
    }
}

int32_t normalise_code(int32_t code) {
    if (code == AUTOARR_OK) return code;
    return code_name(code) == "INTERNAL" ? AUTOARR_ERR_INTERNAL : code;
}

// The plugin's own table, in this process.
class InProcessBackend final : public InstanceBackend {
public:
    InProcessBackend(std::shared_ptr<LoadedPlugin> plugin, autoarr_instance* raw)
        : plugin_(std::move(plugin)), raw_(raw) {}
    ~InProcessBackend() override {
        std::lock_guard lock(plugin_->lifecycle_mutex());
        try {
            plugin_->table()->instance_destroy(raw_);
        } catch (...) {
            log::error("plugin", plugin_->id() + ": an exception escaped instance_destroy (ABI-11)");
        }
    }

    CallStatus health(const CallContext& call, std::string& detail) override {
        StringSink sink{&detail, Instance::kMaxOutputBytes};
        auto raw_sink = sink.raw();
        return invoke("health_check",
                      [&](autoarr_error* e) { return plugin_->table()->health_check(raw_, call.raw(), &raw_sink, e); });
    }
    CallStatus list_models(const CallContext& call, std::string& out) override {
        StringSink sink{&out, Instance::kMaxOutputBytes};
        auto raw_sink = sink.raw();
        return invoke("list_models",
                      [&](autoarr_error* e) { return plugin_->table()->list_models(raw_, call.raw(), &raw_sink, e); });
    }
    CallStatus complete(const CallContext& call, std::string_view request, std::string& response) override {
        StringSink sink{&response, Instance::kMaxOutputBytes};
        auto raw_sink = sink.raw();
        return invoke("complete", [&](autoarr_error* e) {
            return plugin_->table()->complete(raw_, call.raw(), request.data(), request.size(), &raw_sink, e);
        });
    }
    CallStatus stream(const CallContext& call, std::string_view request, const EventFn& on_event) override {
        struct Adapter {
            const EventFn* fn;
            static int32_t AUTOARR_CALL on(void* user, const autoarr_stream_event* ev) {
                auto* self = static_cast<Adapter*>(user);
                if (!ev || ev->struct_type != AUTOARR_STRUCT_STREAM_EVENT) return 1;
                try {
                    std::string_view data(ev->data ? ev->data : "", ev->data ? ev->len : 0);
                    return (*self->fn)(ev->kind, data) ? 0 : 1;
                } catch (...) {
                    return 1;
                }
            }
        } adapter{&on_event};
        autoarr_stream_handler handler{AUTOARR_STRUCT_STREAM_HANDLER, sizeof(autoarr_stream_handler), &adapter,
                                       &Adapter::on};
        return invoke("stream", [&](autoarr_error* e) {
            return plugin_->table()->stream(raw_, call.raw(), request.data(), request.size(), &handler, e);
        });
    }

private:
    template <class Fn>
    CallStatus invoke(const char* slot, Fn&& fn) {
        CallError err;
        try {
            return status_from(fn(err.raw()), err);
        } catch (...) {
            return CallStatus{AUTOARR_ERR_INTERNAL, 0, -1, 0,
                              std::string("an exception escaped ") + slot + " (ABI-11)"};
        }
    }

    std::shared_ptr<LoadedPlugin> plugin_;
    autoarr_instance* raw_;
};

std::unique_ptr<Instance> Instance::create(std::shared_ptr<LoadedPlugin> plugin, std::string_view config,
                                           CallStatus& status) {
    if (plugin->remote()) {
        autoarr_capabilities caps{};
        auto backend = isolation::create_remote_backend(plugin, config, status, caps);
        if (!backend) return nullptr;
        return std::make_unique<Instance>(std::move(plugin), std::move(backend), caps);
    }
    const autoarr_provider_table* t = plugin->table();
    CallError err;
    autoarr_instance* raw = nullptr;
    int32_t rc;
    {
        std::lock_guard lock(plugin->lifecycle_mutex());
        try {
            rc = t->instance_create(config.data(), config.size(), &raw, err.raw());
        } catch (...) {
            status = CallStatus{AUTOARR_ERR_INTERNAL, 0, -1, 0, "an exception escaped instance_create (ABI-11)"};
            return nullptr;
        }
    }
    status = status_from(rc, err);
    if (!status.ok()) return nullptr;
    if (!raw) {
        status = CallStatus{AUTOARR_ERR_INTERNAL, 0, -1, 0, "instance_create succeeded without an instance"};
        return nullptr;
    }
    autoarr_capabilities caps{};
    caps.struct_type = AUTOARR_STRUCT_CAPABILITIES;
    caps.struct_size = sizeof caps;
    try {
        if (normalise_code(t->get_capabilities(raw, &caps)) != AUTOARR_OK) caps.flags = 0;
    } catch (...) {
        caps.flags = 0;
    }
    auto backend = std::make_unique<InProcessBackend>(plugin, raw);
    return std::make_unique<Instance>(std::move(plugin), std::move(backend), caps);
}

Instance::Instance(std::shared_ptr<LoadedPlugin> plugin, std::unique_ptr<InstanceBackend> backend,
                   autoarr_capabilities caps)
    : plugin_(std::move(plugin)), backend_(std::move(backend)), caps_(caps) {}

Instance::~Instance() = default;

bool Instance::can_stream() const {
    return plugin_->has_stream() && (caps_.flags & AUTOARR_CAP_STREAMING);
}
bool Instance::can_list_models() const {
    return plugin_->has_list_models();
}

template <class Fn>
CallStatus Instance::serialised(Fn&& fn) {
    std::unique_lock<std::mutex> lock(serial_, std::defer_lock);
    if (!(caps_.flags & AUTOARR_CAP_THREAD_SAFE)) lock.lock();
    return fn();
}

CallStatus Instance::health(const CallContext& call, std::string& detail) {
    return serialised([&] { return backend_->health(call, detail); });
}

CallStatus Instance::list_models(const CallContext& call, std::string& out) {
    if (!can_list_models()) return CallStatus{AUTOARR_ERR_UNSUPPORTED, 0, -1, 0, "list_models is not implemented"};
    return serialised([&] { return backend_->list_models(call, out); });
}

CallStatus Instance::complete(const CallContext& call, std::string_view request, std::string& response) {
    return serialised([&] { return backend_->complete(call, request, response); });
}

CallStatus Instance::stream(const CallContext& call, std::string_view request, const EventFn& on_event) {
    if (!can_stream()) return CallStatus{AUTOARR_ERR_UNSUPPORTED, 0, -1, 0, "streaming is not supported"};
    // Text goes into JSON as it is: ill-formed UTF-8 must not reach the client, from either backend.
    EventFn checked = [&](uint32_t kind, std::string_view data) {
        if (kind == AUTOARR_EVENT_TEXT_DELTA && !http::is_valid_utf8(data))
            return on_event(kind, http::valid_utf8(data));
        return on_event(kind, data);
    };
    return serialised([&] { return backend_->stream(call, request, checked); });
}

}  // namespace autoarr::plugin
