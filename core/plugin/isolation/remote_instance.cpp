#include "plugin/isolation/remote_instance.h"

#include "plugin/isolation/remote_plugin.h"

namespace autoarr::plugin::isolation {
namespace {

class RemoteBackend final : public InstanceBackend {
public:
    RemoteBackend(std::shared_ptr<LoadedPlugin> plugin, std::unique_ptr<RemotePlugin::InstanceHandle> handle)
        : plugin_(std::move(plugin)), handle_(std::move(handle)) {}
    ~RemoteBackend() override { plugin_->remote()->destroy(*handle_); }

    CallStatus health(const CallContext& call, std::string& detail) override {
        return run(Slot::health, call, {}, &detail, nullptr);
    }
    CallStatus list_models(const CallContext& call, std::string& out) override {
        return run(Slot::list_models, call, {}, &out, nullptr);
    }
    CallStatus complete(const CallContext& call, std::string_view request, std::string& response) override {
        return run(Slot::complete, call, request, &response, nullptr);
    }
    CallStatus stream(const CallContext& call, std::string_view request, const EventFn& on_event) override {
        return run(Slot::stream, call, request, nullptr, &on_event);
    }
    Availability availability() const override { return plugin_->remote()->availability(); }
    bool retry() override { return plugin_->remote()->retry(); }

private:
    CallStatus run(Slot slot, const CallContext& call, std::string_view request, std::string* out,
                   const EventFn* on_event) {
        return plugin_->remote()->call(*handle_, slot, call, request, out, on_event);
    }

    std::shared_ptr<LoadedPlugin> plugin_;
    std::unique_ptr<RemotePlugin::InstanceHandle> handle_;
};

}  // namespace

std::unique_ptr<InstanceBackend> create_remote_backend(std::shared_ptr<LoadedPlugin> plugin, std::string_view config,
                                                       CallStatus& status, autoarr_capabilities& caps) {
    auto handle = std::make_unique<RemotePlugin::InstanceHandle>();
    handle->config_json = std::string(config);
    status = plugin->remote()->create(*handle);
    if (!status.ok()) return nullptr;
    caps = handle->caps;
    return std::make_unique<RemoteBackend>(std::move(plugin), std::move(handle));
}

}  // namespace autoarr::plugin::isolation
