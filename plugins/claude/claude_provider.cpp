// The Claude provider plugin. This build carries the plugin's ABI surface and
// configuration; the backend protocol lands with its own issue, and until
// then every backend call reports AUTOARR_ERR_UNSUPPORTED with a clear
// message rather than pretending to work.
#include <autoarr/provider.hpp>

#include <memory>
#include <string>

namespace {

using autoarr::sdk::Error;

class ClaudeProvider final : public autoarr::sdk::Provider {
public:
    static std::unique_ptr<ClaudeProvider> create(std::string_view config_json) {
        return std::make_unique<ClaudeProvider>(std::string(config_json));
    }
    explicit ClaudeProvider(std::string config) : config_(std::move(config)) {}

    autoarr::sdk::Capabilities capabilities() const override { return {AUTOARR_CAP_THREAD_SAFE, 0}; }
    std::string health(const autoarr::sdk::Call&) override { throw not_yet(); }
    std::string complete(const autoarr::sdk::Call&, std::string_view) override { throw not_yet(); }

private:
    static Error not_yet() {
        return Error(AUTOARR_ERR_UNSUPPORTED, "the claude backend protocol is not implemented in this build");
    }
    std::string config_;
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(ClaudeProvider, "claude", "Claude", "0.1.0", "Anthropic's Claude models over the Messages API", 20)
