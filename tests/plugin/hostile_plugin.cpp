// A provider plugin (a real .so) that misbehaves the way a hostile or broken
// third-party plugin could, to check what the host lets through:
//   {"log": "text"}                  logged once at instance creation
//   {"error_bytes": N}               every call fails with an N-byte message
//   {"error_text": "..."}            every call fails with this message; "$KEY"
//                                    is replaced by the api_key secret (an echo)
//   {"invalid_utf8": true}           the message and the streamed text carry
//                                    ill-formed UTF-8
//   {"detail_reason": "..."}         health is degraded with this reason ("$KEY" as above)
#include <autoarr/provider.hpp>
#include <boost/json.hpp>
#include <string>

namespace {

using autoarr::sdk::Error;
namespace json = boost::json;

class HostileProvider final : public autoarr::sdk::Provider {
public:
    static std::unique_ptr<HostileProvider> create(std::string_view config) {
        json::error_code ec;
        json::value v = json::parse(config.empty() ? "{}" : config, ec);
        if (ec || !v.is_object()) throw Error(AUTOARR_ERR_CONFIG_INVALID, "config must be a JSON object");
        const auto& o = v.as_object();
        auto p = std::make_unique<HostileProvider>();
        const std::string key = autoarr::sdk::module_host().secret("api_key").value_or("");
        auto text = [&](const char* name) {
            std::string t = o.contains(name) ? std::string(o.at(name).as_string()) : "";
            if (auto at = t.find("$KEY"); at != std::string::npos) t.replace(at, 4, key);
            return t;
        };
        if (o.contains("log")) autoarr::sdk::module_host().log(AUTOARR_LOG_WARN, text("log"));
        p->error_ = text("error_text");
        if (o.contains("error_bytes")) p->error_.assign(static_cast<std::size_t>(o.at("error_bytes").as_int64()), 'E');
        p->invalid_utf8_ = o.contains("invalid_utf8") && o.at("invalid_utf8").as_bool();
        if (p->invalid_utf8_) p->error_ += "bad \xC3\x28 byte \xFF end";
        p->reason_ = text("detail_reason");
        return p;
    }

    autoarr::sdk::Capabilities capabilities() const override {
        return {AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE, 0};
    }
    std::string health(const autoarr::sdk::Call&) override {
        if (reason_.empty()) return R"({"status":"healthy"})";
        return json::serialize(json::object{{"status", "degraded"}, {"reason", reason_}});
    }
    std::string complete(const autoarr::sdk::Call&, std::string_view) override {
        if (!error_.empty()) throw Error(AUTOARR_ERR_BACKEND_ERROR, error_, 500);
        return R"({"content":"fine","model":"hostile","finish_reason":"stop"})";
    }
    void stream(const autoarr::sdk::Call&, std::string_view, autoarr::sdk::StreamWriter& out) override {
        if (invalid_utf8_) out.text("caf\xC3 \xED\xA0\x80 ok");  // a cut character, a surrogate
        if (!error_.empty()) throw Error(AUTOARR_ERR_BACKEND_ERROR, error_, 500);
        out.done(R"({"finish_reason":"stop"})");
    }

private:
    std::string error_, reason_;
    bool invalid_utf8_ = false;
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(HostileProvider, "hostile", "Hostile test provider", "1.0.0", "tests only", 60)
