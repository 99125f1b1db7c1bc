// A provider plugin in C++ using the SDK's helper (provider.hpp), compiled
// with the FROZEN 1.0 provider.h first on the include path: proves that the
// helper and a 1.0 plugin keep working in today's host.
#include <autoarr/provider.hpp>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

class EchoProvider final : public autoarr::sdk::Provider {
public:
    static std::unique_ptr<EchoProvider> create(std::string_view config) {
        if (config == "throw") throw std::runtime_error("create threw a plain std::exception");
        if (config == "invalid")
            throw autoarr::sdk::Error(AUTOARR_ERR_CONFIG_INVALID, "setting 'invalid' is not allowed");
        return std::make_unique<EchoProvider>();
    }
    autoarr::sdk::Capabilities capabilities() const override {
        return {AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE, 4};
    }
    std::string health(const autoarr::sdk::Call&) override { return R"({"status":"healthy"})"; }
    std::string complete(const autoarr::sdk::Call&, std::string_view request) override {
        if (request == "rate-limit")
            throw autoarr::sdk::Error(AUTOARR_ERR_RATE_LIMITED, "slow down", 429, 7000, AUTOARR_ERROR_FLAG_RETRYABLE);
        if (request == "boom") throw std::logic_error("unexpected state");
        return R"({"content":"cpp echo","model":"fixture","finish_reason":"stop"})";
    }
    void stream(const autoarr::sdk::Call&, std::string_view request, autoarr::sdk::StreamWriter& out) override {
        out.text("partial ");
        if (request == "fail-midway") throw autoarr::sdk::Error(AUTOARR_ERR_BACKEND_ERROR, "backend died");
        out.text("whole");
        out.done(R"({"finish_reason":"stop"})");
    }
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(EchoProvider, "good-cpp", "Fixture (C++)", "1.0.0", "test fixture", 60)
