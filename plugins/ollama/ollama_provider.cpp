// The Ollama provider plugin. This build carries the plugin's ABI surface and
// configuration; the backend protocol lands with its own issue, and until
// then every backend call reports AUTOARR_ERR_UNSUPPORTED with a clear
// message rather than pretending to work.
#include <autoarr/provider.hpp>

#include <memory>
#include <string>

namespace {

using autoarr::sdk::Error;

class OllamaProvider final : public autoarr::sdk::Provider {
public:
    static std::unique_ptr<OllamaProvider> create(std::string_view config_json) {
        return std::make_unique<OllamaProvider>(std::string(config_json));
    }
    explicit OllamaProvider(std::string config) : config_(std::move(config)) {}

    autoarr::sdk::Capabilities capabilities() const override { return {AUTOARR_CAP_THREAD_SAFE, 0}; }
    std::string health(const autoarr::sdk::Call&) override { throw not_yet(); }
    std::string complete(const autoarr::sdk::Call&, std::string_view) override { throw not_yet(); }

private:
    static Error not_yet() {
        return Error(AUTOARR_ERR_UNSUPPORTED, "the ollama backend protocol is not implemented in this build");
    }
    std::string config_;
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(OllamaProvider, "ollama", "Ollama", "0.1.0", "Local, private models through an Ollama server", 10)
