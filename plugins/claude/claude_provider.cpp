// The Claude provider plugin: Anthropic's Messages API over HTTPS, the cloud
// fallback. Protocol facts: tests/fixtures/PROTOCOLS.md §2. The plugin never
// retries by itself: it reports typed errors with retry-after and the host's
// router decides (docs/routing.md).
#include <autoarr/provider.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "claude_protocol.h"
#include "http/client.h"
#include "provider_glue.h"

namespace {

using autoarr::sdk::Error;
using namespace autoarr;
namespace json = boost::json;

using http::bounded_text;
using http::kMaxErrorBody;

// Status + error.type + x-should-retry + retry-after -> a typed error.
Error api_error(int status, std::string_view body, const http::ResponseHead& head) {
    claude::ApiError e = claude::parse_error(body);
    std::string request_id = e.request_id;
    if (const auto* h = head.find("request-id"); h && request_id.empty()) request_id = *h;
    std::string msg =
        "claude: HTTP " + std::to_string(status) + (e.type.empty() ? "" : " " + e.type) + ": " + e.message;
    if (!request_id.empty()) msg += " (request-id " + request_id + ")";

    auto retry_after = claude::retry_after_ms(head.find("retry-after-ms"), head.find("retry-after"),
                                              static_cast<int64_t>(std::time(nullptr)));
    const int64_t ra = retry_after.value_or(-1);
    int32_t code;
    uint64_t flags = 0;
    bool retry = false;
    switch (status) {
        case 400:
            code = AUTOARR_ERR_INVALID_ARGUMENT;
            break;
        case 401:
        case 403:
            code = AUTOARR_ERR_AUTH_FAILED;
            flags |= AUTOARR_ERROR_FLAG_AUTH_FAILED;
            break;
        case 404:
            code = AUTOARR_ERR_NOT_FOUND;
            break;
        case 413:
            code = AUTOARR_ERR_REQUEST_TOO_LARGE;
            break;
        case 408:
        case 409:
            code = AUTOARR_ERR_BACKEND_ERROR;
            retry = true;
            break;
        case 429:
            code = AUTOARR_ERR_RATE_LIMITED;
            retry = true;
            break;
        default:
            code = status >= 500 ? AUTOARR_ERR_BACKEND_ERROR : AUTOARR_ERR_INVALID_ARGUMENT;
            retry = status >= 500;  // 500, 502, 503, 504, 529
    }
    // The server's own word wins, as in the official SDKs.
    if (const auto* sr = head.find("x-should-retry")) {
        if (*sr == "true") retry = true;
        if (*sr == "false") retry = false;
    }
    if (retry) flags |= AUTOARR_ERROR_FLAG_RETRYABLE;
    return Error(code, bounded_text(msg), status, ra, flags);
}

// An `event: error` inside a 200 stream.
Error stream_error(const claude::ApiError& e) {
    int32_t code = AUTOARR_ERR_BACKEND_ERROR;
    uint64_t flags = 0;
    if (e.type == "overloaded_error" || e.type == "api_error" || e.type == "timeout_error")
        flags = AUTOARR_ERROR_FLAG_RETRYABLE;
    if (e.type == "rate_limit_error") {
        code = AUTOARR_ERR_RATE_LIMITED;
        flags = AUTOARR_ERROR_FLAG_RETRYABLE;
    }
    if (e.type == "invalid_request_error") code = AUTOARR_ERR_INVALID_ARGUMENT;
    if (e.type == "authentication_error" || e.type == "permission_error") {
        code = AUTOARR_ERR_AUTH_FAILED;
        flags = AUTOARR_ERROR_FLAG_AUTH_FAILED;
    }
    return Error(code, bounded_text("claude: stream error " + e.type + ": " + e.message), 200, -1, flags);
}

class ClaudeProvider final : public sdk::Provider {
public:
    static std::unique_ptr<ClaudeProvider> create(std::string_view config) {
        auto s = http::invalid_argument_as(AUTOARR_ERR_CONFIG_INVALID, "claude",
                                           [&] { return claude::parse_settings(config); });
        auto url = http::base_url_or_config_error("claude", "base_url", s.base_url);
        // The key must never cross a network in clear: plain http only to a
        // literal loopback address, never to a name a resolver could point elsewhere.
        if (!url.tls && !url.is_loopback_address())
            throw Error(AUTOARR_ERR_CONFIG_INVALID,
                        "claude: base_url \"" + s.base_url +
                            "\" is plain http to a host that is not a loopback address (127.0.0.1, ::1); use https");
        const auto max_answer = http::max_answer_bytes_or_config_error("claude", config);
        // Each instance's own key ("<provider id>.api_key", docs/configuration.md):
        // a second instance, "claude-b", never borrows the "claude" instance's.
        std::string key = sdk::module_host().secret(s.provider_id + ".api_key").value_or("");
        return http::invalid_argument_as(AUTOARR_ERR_CONFIG_INVALID, "claude", [&] {  // an unreadable CA file
            return std::make_unique<ClaudeProvider>(std::move(s), std::move(url), std::move(key), max_answer);
        });
    }

    ClaudeProvider(claude::Settings s, http::BaseUrl url, std::string key, std::size_t max_answer_bytes)
        : s_(std::move(s)),
          key_(std::move(key)),
          max_answer_bytes_(max_answer_bytes),
          client_(std::move(url), options(s_)) {}

    sdk::Capabilities capabilities() const override {
        // A schema is honoured: by structured outputs, else in the system prompt.
        return {AUTOARR_CAP_STREAMING | AUTOARR_CAP_JSON_MODE | AUTOARR_CAP_JSON_SCHEMA | AUTOARR_CAP_THREAD_SAFE |
                    AUTOARR_CAP_LIST_MODELS | AUTOARR_CAP_TOOLS,
                0};
    }

    std::string health(const sdk::Call& call) override {
        require_key();
        auto [head, body] = get("/v1/models?limit=1", call);
        json::array names;
        json::error_code ec;
        auto v = json::parse(body, ec);
        if (ec || !v.is_object() || !v.get_object().contains("data"))
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, "claude: /v1/models did not return {\"data\": [...]}");
        for (const auto& m : v.at("data").as_array())
            if (m.is_object() && m.get_object().contains("id")) names.push_back(m.at("id"));
        return json::serialize(json::object{{"status", "healthy"},
                                            {"models", std::move(names)},
                                            {"model", s_.model},
                                            {"context_window", claude::kContextWindow}});
    }

    std::string list_models(const sdk::Call& call) override {
        require_key();
        auto [head, body] = get("/v1/models?limit=100", call);
        json::error_code ec;
        auto v = json::parse(body, ec);
        if (ec || !v.is_object() || !v.get_object().contains("data"))
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, "claude: /v1/models did not return {\"data\": [...]}");
        json::array out;
        for (const auto& m : v.at("data").as_array())
            if (m.is_object() && m.get_object().contains("id")) out.push_back(json::object{{"id", m.at("id")}});
        return json::serialize(json::object{{"models", std::move(out)}});
    }

    std::string complete(const sdk::Call& call, std::string_view request) override {
        require_key();
        for (int attempt = 0;; ++attempt) {
            const auto [body, model] = build_body(request, false);
            auto r = http::fetch_for_call(client_, post(body), call, s_.timeout_s, max_answer_bytes_, "claude");
            if (attempt == 0 && refused_structured(r.first.status, r.second, body, model)) continue;
            if (r.first.status != 200) throw api_error(r.first.status, r.second, r.first);
            return message_response(r.second, model);
        }
    }

    // A 400 that refuses output_config: this model gets the schema in the
    // prompt from now on, and the call is made again at once.
    bool refused_structured(int status, std::string_view answer, const std::string& body, const std::string& model) {
        if (body.find("\"output_config\"") == std::string::npos || !claude::structured_output_refused(status, answer))
            return false;
        sdk::module_host().log(AUTOARR_LOG_INFO,
                               "model " + model + " refused structured outputs; the schema goes into the prompt");
        std::lock_guard lock(refused_mutex_);
        refused_.insert(model);
        return true;
    }

    bool structured_for(const std::string& model) {
        if (s_.structured_output == "off") return false;
        {
            std::lock_guard lock(refused_mutex_);
            if (refused_.contains(model)) return false;
        }
        return s_.structured_output == "on" || claude::supports_structured_output(model);
    }

    static std::string message_response(const std::string& text, const std::string& model) {
        auto m = claude::parse_message(text);
        if (!m) throw Error(AUTOARR_ERR_INVALID_RESPONSE, "claude: the answer is not a Message object", 200);
        return claude::chat_response(*m, model);
    }

    void stream(const sdk::Call& call, std::string_view request, sdk::StreamWriter& out) override {
        require_key();
        for (int attempt = 0;; ++attempt)
            if (stream_once(call, request, out, attempt == 0)) return;
    }

    // False when the model refused output_config before any event: call again.
    bool stream_once(const sdk::Call& call, std::string_view request, sdk::StreamWriter& out, bool may_retry) {
        const auto [body, model] = build_body(request, true);
        http::CancelLink link(call);
        http::ResponseHead head;
        std::string error_body;
        claude::SseDecoder decoder;
        claude::StreamAssembler assembler;
        bool stopped = false, too_large = false;
        std::size_t received = 0;  // body bytes of a 200 answer, against max_answer_bytes_
        try {
            client_.perform(
                post(body), http::deadline_for(call, s_.timeout_s), &link.handle,
                [&](const http::ResponseHead& h) { head = h; },
                [&](std::string_view piece) {
                    if (head.status != 200) {
                        error_body.append(piece.substr(0, kMaxErrorBody - error_body.size()));
                        return error_body.size() < kMaxErrorBody;  // the rest of an error body is not read
                    }
                    received += piece.size();
                    if (received > max_answer_bytes_) {
                        too_large = true;
                        return false;
                    }
                    return decoder.feed(piece, [&](std::string_view event, std::string_view data) {
                        std::string text = assembler.apply(event, data);
                        if (assembler.error || assembler.malformed) return false;
                        if (!text.empty() && !out.text(text)) {
                            stopped = true;
                            return false;
                        }
                        return true;
                    });
                });
        } catch (const http::HttpError& e) {
            if (stopped) throw Error(AUTOARR_ERR_CANCELLED, "claude: stopped by the host");
            throw http::transport_error(e, "claude");
        }
        if (stopped) throw Error(AUTOARR_ERR_CANCELLED, "claude: stopped by the host");
        if (too_large) throw http::answer_too_large("claude", max_answer_bytes_);
        if (may_retry && refused_structured(head.status, error_body, body, model)) return false;
        if (head.status != 200) throw api_error(head.status, error_body, head);
        if (assembler.error) throw stream_error(*assembler.error);
        if (assembler.malformed)
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, "claude: " + bounded_text(*assembler.malformed), 200);
        if (!assembler.complete)
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, "claude: the stream ended without message_stop (incomplete)", 200,
                        -1, AUTOARR_ERROR_FLAG_INCOMPLETE);
        for (const auto& tool_call : assembler.message.tool_calls)
            if (!out.tool_call(json::serialize(tool_call))) return true;  // stopped: the helper returns CANCELLED
        out.usage(claude::usage_json(assembler.message.usage));
        json::object done = claude::response_object(assembler.message, model);
        done.erase("content");
        out.done(json::serialize(done));
        return true;
    }

private:
    static http::ClientOptions options(const claude::Settings& s) {
        http::ClientOptions o;
        o.connect_timeout = std::chrono::milliseconds(5000);
        o.user_agent = "autoarr-claude/0.1";
        o.ca_file = s.ca_file;
        o.max_idle_connections = static_cast<std::size_t>(s.max_idle_connections);
        return o;
    }

    void require_key() const {
        if (key_.empty())
            throw Error(AUTOARR_ERR_CONFIG_INVALID, "claude: API key not configured (set CLAUDE_API_KEY)");
    }

    std::vector<http::Header> auth_headers() const {
        return {{"x-api-key", key_}, {"anthropic-version", s_.anthropic_version}, {"accept", "application/json"}};
    }

    http::Request post(const std::string& body) const { return http::json_post("/v1/messages", body, auth_headers()); }

    std::pair<http::ResponseHead, std::string> get(const std::string& target, const sdk::Call& call) {
        http::Request r;
        r.target = target;
        r.headers = auth_headers();
        auto res = http::fetch_for_call(client_, r, call, s_.health_timeout_s, 8 * 1024 * 1024, "claude");
        if (res.first.status != 200) throw api_error(res.first.status, res.second, res.first);
        return res;
    }

    claude::MessagesBody build_body(std::string_view request, bool stream) {
        return http::invalid_argument_as(AUTOARR_ERR_INVALID_ARGUMENT, "claude", [&] {
            return claude::messages_body(request, s_, stream,
                                         [this](const std::string& model) { return structured_for(model); });
        });
    }

    claude::Settings s_;
    std::string key_;  // from the host's secret service; never logged or echoed
    std::size_t max_answer_bytes_;
    http::Client client_;
    std::mutex refused_mutex_;       // guards refused_
    std::set<std::string> refused_;  // models that refused output_config
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(ClaudeProvider, "claude", "Claude", "0.1.0", "Anthropic's Claude models over the Messages API",
                        20)
