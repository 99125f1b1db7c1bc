// A scriptable provider plugin (a real .so) whose behaviour comes from its
// JSON config, to drive the router through every failure it must handle:
//   {"fail_times": N, "fail_code": "RATE_LIMITED", "retryable": true,
//    "retry_after_ms": 7000, "always_fail": false, "hang": false,
//    "stream_tokens": K, "stream_fail_after": k, "content": "...",
//    "contents": ["answer 1", "answer 2", ...], "healthy_after_ms": T,
//    "reject_format": true}  (a provider that follows docs/payloads.md and refuses "format")
// list_models reports {"calls": n} so tests count real calls.
#include <atomic>
#include <autoarr/provider.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <thread>

#ifndef SCRIPT_ID
#define SCRIPT_ID "script-a"
#endif

namespace {

using autoarr::sdk::Error;
namespace json = boost::json;

int32_t code_from(std::string_view name) {
    static const std::map<std::string_view, int32_t> codes = {
        {"UNAVAILABLE", AUTOARR_ERR_UNAVAILABLE},     {"RATE_LIMITED", AUTOARR_ERR_RATE_LIMITED},
        {"AUTH_FAILED", AUTOARR_ERR_AUTH_FAILED},     {"INVALID_ARGUMENT", AUTOARR_ERR_INVALID_ARGUMENT},
        {"BACKEND_ERROR", AUTOARR_ERR_BACKEND_ERROR}, {"NOT_FOUND", AUTOARR_ERR_NOT_FOUND},
    };
    auto it = codes.find(name);
    if (it == codes.end()) throw Error(AUTOARR_ERR_CONFIG_INVALID, "fail_code \"" + std::string(name) + "\" unknown");
    return it->second;
}

class ScriptProvider final : public autoarr::sdk::Provider {
public:
    static std::unique_ptr<ScriptProvider> create(std::string_view config) {
        json::error_code ec;
        json::value v = json::parse(config, ec);
        if (ec || !v.is_object()) throw Error(AUTOARR_ERR_CONFIG_INVALID, "config must be a JSON object");
        auto p = std::make_unique<ScriptProvider>();
        const auto& o = v.as_object();
        auto num = [&](const char* k, int64_t d) { return o.contains(k) ? o.at(k).to_number<int64_t>() : d; };
        auto flag = [&](const char* k, bool d) { return o.contains(k) ? o.at(k).as_bool() : d; };
        p->fail_times_ = num("fail_times", 0);
        p->fail_code_ =
            code_from(o.contains("fail_code") ? std::string_view(o.at("fail_code").as_string()) : "UNAVAILABLE");
        p->retryable_ = flag("retryable", true);
        p->retry_after_ms_ = num("retry_after_ms", -1);
        p->always_fail_ = flag("always_fail", false);
        p->hang_ = flag("hang", false);
        p->stream_tokens_ = num("stream_tokens", 3);
        p->stream_fail_after_ = num("stream_fail_after", -1);
        p->healthy_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(num("healthy_after_ms", 0));
        if (const auto* list = o.if_contains("contents"); list && list->is_array())
            for (const auto& c : list->as_array()) p->contents_.emplace_back(c.as_string());
        p->reject_format_ = flag("reject_format", false);
        p->content_ = o.contains("content") ? std::string(o.at("content").as_string()) : std::string(SCRIPT_ID);
        return p;
    }

    autoarr::sdk::Capabilities capabilities() const override {
        return {AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE | AUTOARR_CAP_LIST_MODELS, 0};
    }
    std::string health(const autoarr::sdk::Call&) override {
        if (std::chrono::steady_clock::now() < healthy_at_) throw Error(AUTOARR_ERR_UNAVAILABLE, "not up yet");
        return R"({"status":"healthy","models":["script-model"]})";
    }
    std::string list_models(const autoarr::sdk::Call&) override {
        return "{\"calls\":" + std::to_string(calls_.load()) + "}";
    }
    std::string complete(const autoarr::sdk::Call& call, std::string_view request) override {
        if (reject_format_ && request.find("\"format\"") != std::string_view::npos)
            throw Error(AUTOARR_ERR_INVALID_ARGUMENT, "\"format\" is not supported by this provider");
        int64_t n = maybe_fail(call);
        // "contents": answers in turn (the last one repeats); else "content".
        std::string content =
            contents_.empty() ? content_ : contents_[std::min<std::size_t>(n - 1, contents_.size() - 1)];
        return json::serialize(json::object{{"content", content}, {"model", "script"}, {"finish_reason", "stop"}});
    }
    void stream(const autoarr::sdk::Call& call, std::string_view, autoarr::sdk::StreamWriter& out) override {
        maybe_fail(call);
        for (int64_t i = 0; i < stream_tokens_; ++i) {
            if (i == stream_fail_after_)
                throw Error(AUTOARR_ERR_BACKEND_ERROR, "stream broke after " + std::to_string(i) + " tokens", 0, -1,
                            AUTOARR_ERROR_FLAG_RETRYABLE);
            if (!out.text("t" + std::to_string(i) + " ")) throw Error(AUTOARR_ERR_CANCELLED, "stopped");
        }
        out.done(R"({"finish_reason":"stop"})");
    }

private:
    int64_t maybe_fail(const autoarr::sdk::Call& call) {
        int64_t n = ++calls_;
        if (hang_) {
            while (!call.cancelled()) {
                auto left = call.remaining_ns();
                if (left && *left <= 0) throw Error(AUTOARR_ERR_DEADLINE_EXCEEDED, "deadline passed while hanging");
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            throw Error(AUTOARR_ERR_CANCELLED, "cancelled while hanging");
        }
        if (always_fail_ || n <= fail_times_)
            throw Error(fail_code_, "scripted failure " + std::to_string(n), 0, retry_after_ms_,
                        (retryable_ ? AUTOARR_ERROR_FLAG_RETRYABLE : 0) |
                            (fail_code_ == AUTOARR_ERR_AUTH_FAILED ? AUTOARR_ERROR_FLAG_AUTH_FAILED : 0));
        return n;
    }

    std::atomic<int64_t> calls_{0};
    int64_t fail_times_ = 0;
    int32_t fail_code_ = AUTOARR_ERR_UNAVAILABLE;
    bool retryable_ = true;
    int64_t retry_after_ms_ = -1;
    bool always_fail_ = false;
    bool hang_ = false;
    bool reject_format_ = false;
    int64_t stream_tokens_ = 3;
    int64_t stream_fail_after_ = -1;
    std::string content_;
    std::vector<std::string> contents_;
    std::chrono::steady_clock::time_point healthy_at_;
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(ScriptProvider, SCRIPT_ID, "Scriptable test provider", "1.0.0", "tests only", 50)
