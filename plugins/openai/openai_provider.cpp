// The OpenAI-compatible provider plugin: one plugin for llama.cpp's server,
// LM Studio, vLLM, LocalAI, OpenRouter and anything else that speaks
// chat completions. Each configured endpoint is its own instance with its
// own provider id (docs/providers.md, "OpenAI-compatible"). Like the other
// first-party plugins it never retries by itself: it reports typed errors
// with retry-after, and the host's router decides.
#include <autoarr/provider.hpp>
#include <autoarr/setting_variable.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include "http/client.h"
#include "http/retry_after.h"
#include "http/sse_decoder.h"
#include "openai_protocol.h"
#include "provider_glue.h"

namespace {

using autoarr::sdk::Error;
using namespace autoarr;
namespace json = boost::json;

using http::bounded_text;
using http::kMaxErrorBody;

// The backend's id for a request: vLLM and OpenAI send x-request-id.
std::string request_id_of(const http::ResponseHead& head) {
    for (const char* name : {"x-request-id", "request-id"})
        if (const auto* h = head.find(name)) return bounded_text(*h, 128);
    return {};
}

// Status + error body + Retry-After -> a typed error (docs/providers.md has the table).
Error api_error(const std::string& who, int status, std::string_view body, const http::ResponseHead& head) {
    const openai::ApiError e = openai::parse_error(body);
    std::string msg =
        who + ": HTTP " + std::to_string(status) + (e.type.empty() ? "" : " " + e.type) + ": " + e.message;
    const int64_t ra = http::retry_after_ms(head.find("retry-after-ms"), head.find("retry-after"),
                                            static_cast<int64_t>(std::time(nullptr)))
                           .value_or(-1);
    int32_t code = AUTOARR_ERR_INVALID_ARGUMENT;
    uint64_t flags = 0;
    switch (status) {
        case 400:
        case 422:  // vLLM's and LocalAI's request validation
            code = openai::is_context_overflow(e) ? AUTOARR_ERR_REQUEST_TOO_LARGE : AUTOARR_ERR_INVALID_ARGUMENT;
            break;
        case 401:
            code = AUTOARR_ERR_AUTH_FAILED;
            flags = AUTOARR_ERROR_FLAG_AUTH_FAILED;
            break;
        case 402:  // OpenRouter: out of credits
        case 403:  // no access to the model, or moderation (OpenRouter)
            code = AUTOARR_ERR_PERMISSION_DENIED;
            break;
        case 404:
            code = AUTOARR_ERR_NOT_FOUND;
            break;
        case 408:
            code = AUTOARR_ERR_DEADLINE_EXCEEDED;
            flags = AUTOARR_ERROR_FLAG_RETRYABLE;
            break;
        case 409:
            code = AUTOARR_ERR_BACKEND_ERROR;
            flags = AUTOARR_ERROR_FLAG_RETRYABLE;
            break;
        case 413:
            code = AUTOARR_ERR_REQUEST_TOO_LARGE;
            break;
        case 429:
            code = AUTOARR_ERR_RATE_LIMITED;
            flags = AUTOARR_ERROR_FLAG_RETRYABLE;
            break;
        case 503:  // llama.cpp while it loads the model; a gateway with no upstream
            code = AUTOARR_ERR_UNAVAILABLE;
            flags = AUTOARR_ERROR_FLAG_RETRYABLE;
            break;
        default:
            if (status >= 500) {
                code = AUTOARR_ERR_BACKEND_ERROR;
                flags = AUTOARR_ERROR_FLAG_RETRYABLE;
            }
    }
    Error err(code, bounded_text(msg), status, ra, flags);
    err.with_request_id(request_id_of(head));
    return err;
}

class OpenAiProvider final : public sdk::Provider {
public:
    static std::unique_ptr<OpenAiProvider> create(std::string_view config) {
        auto s = http::invalid_argument_as(AUTOARR_ERR_CONFIG_INVALID, "openai",
                                           [&] { return openai::parse_settings(config); });
        const std::string who = s.provider_id;
        if (s.base_url.empty())
            throw Error(AUTOARR_ERR_CONFIG_INVALID,
                        who + ": not configured: no base_url (set " + autoarr::sdk::setting_variable(who, "base_url") +
                            " or providers." + who + ".base_url, e.g. http://127.0.0.1:8080 for llama.cpp)");
        auto url = http::base_url_or_config_error(who, "base_url", s.base_url);
        const auto max_answer = http::max_answer_bytes_or_config_error(who, config);
        // The host serves every instance's secrets as "<provider id>.<name>"
        // (docs/configuration.md). Only that name: the plain "api_key" is the
        // `openai` instance's, and must not reach another endpoint's server.
        const std::string key = sdk::module_host().secret(who + ".api_key").value_or("");
        // A key never crosses a network in clear: plain http only to a literal loopback address.
        if (!key.empty() && !url.tls && !url.is_loopback_address())
            throw Error(AUTOARR_ERR_CONFIG_INVALID,
                        who + ": base_url \"" + s.base_url +
                            "\" is plain http to a host that is not a loopback address, and an API key is set; use "
                            "https, or no key");
        if (s.health_check == "auto") s.health_check = url.host.ends_with("openrouter.ai") ? "key" : "models";
        return http::invalid_argument_as(AUTOARR_ERR_CONFIG_INVALID, who, [&] {  // an unreadable CA file
            return std::make_unique<OpenAiProvider>(std::move(s), std::move(url), std::move(key), max_answer);
        });
    }

    OpenAiProvider(openai::Settings s, http::BaseUrl url, std::string key, std::size_t max_answer_bytes)
        : s_(std::move(s)),
          who_(s_.provider_id),
          key_(std::move(key)),
          max_answer_bytes_(max_answer_bytes),
          client_(std::move(url), options(s_)) {}

    sdk::Capabilities capabilities() const override {
        uint64_t f = AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE | AUTOARR_CAP_LIST_MODELS;
        if (s_.structured_output != "off") f |= AUTOARR_CAP_JSON_MODE;
        if (s_.structured_output == "json_schema") f |= AUTOARR_CAP_JSON_SCHEMA;
        if (s_.tools) f |= AUTOARR_CAP_TOOLS;
        return {f, static_cast<uint32_t>(s_.max_concurrency)};
    }

    std::string health(const sdk::Call& call) override {
        if (s_.health_check == "key") {
            // OpenRouter lists models to anyone; its key endpoint is the cheap call that proves the key.
            if (key_.empty())
                throw Error(AUTOARR_ERR_AUTH_FAILED,
                            who_ + ": no API key (set " + autoarr::sdk::setting_variable(who_, "api_key") + ")", 0, -1,
                            AUTOARR_ERROR_FLAG_AUTH_FAILED);
            get("/v1/key", call);
            json::object o{{"status", "healthy"}};
            if (!s_.model.empty()) o["model"] = s_.model;
            if (s_.context_window > 0) o["context_window"] = s_.context_window;
            return json::serialize(o);
        }
        const json::array data = models(call);
        json::array names;
        std::string served_model;
        const json::object* entry = nullptr;
        for (const auto& m : data) {
            if (!m.is_object() || !m.get_object().contains("id") || !m.at("id").is_string()) continue;
            names.push_back(m.at("id"));
            if (s_.model.empty() ? entry == nullptr : m.at("id").as_string() == s_.model) entry = &m.get_object();
        }
        json::object o{{"status", "healthy"}, {"models", names}};
        if (entry) served_model = std::string(entry->at("id").as_string());
        if (!s_.model.empty() && !entry && !names.empty()) {
            o["status"] = "degraded";
            o["reason"] =
                "model \"" + s_.model + "\" is not among the " + std::to_string(names.size()) + " the server lists";
        }
        if (s_.model.empty() && names.size() > 1) {
            o["status"] = "degraded";
            o["reason"] = "the server lists " + std::to_string(names.size()) + " models; set " +
                          autoarr::sdk::setting_variable(who_, "model") + " to choose one (using \"" + served_model +
                          "\")";
        }
        const std::string model = s_.model.empty() ? served_model : s_.model;
        if (!model.empty()) o["model"] = model;
        {
            std::lock_guard lock(discovered_mutex_);
            discovered_model_ = served_model;
        }
        if (const int64_t window = context_window(entry, call); window > 0) o["context_window"] = window;
        return json::serialize(o);
    }

    std::string list_models(const sdk::Call& call) override {
        json::array out;
        for (const auto& m : models(call)) {
            if (!m.is_object() || !m.get_object().contains("id")) continue;
            json::object e{{"id", m.at("id")}};
            if (const auto* len = m.get_object().if_contains("max_model_len"); len && len->is_int64())
                e["max_context"] = *len;  // vLLM
            else if (const auto* ctx = m.get_object().if_contains("context_length"); ctx && ctx->is_int64())
                e["max_context"] = *ctx;  // OpenRouter
            out.push_back(std::move(e));
        }
        return json::serialize(json::object{{"models", std::move(out)}});
    }

    std::string complete(const sdk::Call& call, std::string_view request) override {
        const auto [body, model] = build_body(request, false);
        auto r = http::fetch_for_call(client_, post(body), call, s_.timeout_s, max_answer_bytes_, who_);
        if (r.first.status != 200) throw api_error(who_, r.first.status, r.second, r.first);
        auto c = openai::parse_completion(r.second);
        if (!c) {
            // OpenRouter can answer 200 with only an error object.
            const auto e = openai::parse_error(r.second);
            throw Error(AUTOARR_ERR_INVALID_RESPONSE,
                        who_ + ": the answer is not a chat completion: " + bounded_text(e.message, 200), 200);
        }
        return protocol([&] { return json::serialize(openai::response_object(*c, model, s_.context_window)); });
    }

    void stream(const sdk::Call& call, std::string_view request, sdk::StreamWriter& out) override {
        const auto [body, model] = build_body(request, true);
        http::CancelLink link(call);
        http::ResponseHead head;
        std::string error_body;
        http::SseDecoder decoder;
        openai::StreamAssembler assembler;
        bool too_large = false;
        std::size_t received = 0;  // body bytes of a 200 answer, against max_answer_bytes_
        try {
            client_.perform(
                post(body), http::deadline_for(call, s_.timeout_s), &link.handle,
                [&](const http::ResponseHead& h) { head = h; },
                [&](std::string_view piece) {
                    if (head.status != 200) {
                        error_body.append(piece.substr(0, kMaxErrorBody - error_body.size()));
                        return error_body.size() < kMaxErrorBody;
                    }
                    received += piece.size();
                    if (received > max_answer_bytes_) {
                        too_large = true;
                        return false;
                    }
                    // Comment lines (OpenRouter's ": OPENROUTER PROCESSING") are skipped by the decoder.
                    return decoder.feed(piece, [&](std::string_view, std::string_view data) {
                        std::string text = assembler.apply(data);
                        if (assembler.error || assembler.malformed) return false;
                        return text.empty() || out.text(text);  // false: the host asked to stop
                    });
                });
        } catch (const http::HttpError& e) {
            if (out.stop_requested()) throw Error(AUTOARR_ERR_CANCELLED, who_ + ": stopped by the host");
            throw http::transport_error(e, who_);
        }
        if (out.stop_requested()) throw Error(AUTOARR_ERR_CANCELLED, who_ + ": stopped by the host");
        if (too_large) throw http::answer_too_large(who_, max_answer_bytes_);
        if (head.status != 200) throw api_error(who_, head.status, error_body, head);
        if (assembler.error)
            throw Error(
                AUTOARR_ERR_BACKEND_ERROR,
                bounded_text(who_ + ": stream error " + assembler.error->code + ": " + assembler.error->message), 200,
                -1, AUTOARR_ERROR_FLAG_RETRYABLE);
        if (assembler.malformed)
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, who_ + ": " + bounded_text(*assembler.malformed), 200);
        if (!assembler.done)
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, who_ + ": the stream ended without data: [DONE] (incomplete)",
                        200, -1, AUTOARR_ERROR_FLAG_INCOMPLETE | AUTOARR_ERROR_FLAG_RETRYABLE);
        auto& c = assembler.completion;
        for (auto& [index, call_part] : assembler.tool_calls) c.tool_calls.push_back(call_part);
        protocol([&] {
            for (const auto& t : c.tool_calls)
                if (!out.tool_call(json::serialize(openai::tool_call_object(t)))) return 0;
            if (!out.usage(openai::usage_json(c.usage, s_.context_window))) return 0;
            json::object done = openai::response_object(c, model, s_.context_window);
            done.erase("content");
            out.done(json::serialize(done));
            return 0;
        });
    }

private:
    static http::ClientOptions options(const openai::Settings& s) {
        http::ClientOptions o;
        o.connect_timeout = std::chrono::milliseconds(5000);
        o.user_agent = "autoarr-openai/0.1";
        o.ca_file = s.ca_file;
        o.max_idle_connections = static_cast<std::size_t>(s.max_idle_connections);
        return o;
    }

    // The server's answer broke the protocol (a tool call's arguments that are not JSON).
    template <class F>
    auto protocol(F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (const std::invalid_argument& e) {
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, who_ + ": " + e.what(), 200);
        }
    }

    std::vector<http::Header> headers() const {
        std::vector<http::Header> h{{"accept", "application/json"}};
        if (!key_.empty()) h.push_back({"authorization", "Bearer " + key_});
        return h;
    }

    http::Request post(const std::string& body) const {
        return http::json_post("/v1/chat/completions", body, headers());
    }

    std::pair<http::ResponseHead, std::string> get(const std::string& target, const sdk::Call& call) {
        http::Request r;
        r.target = target;
        r.headers = headers();
        auto res = http::fetch_for_call(client_, r, call, s_.health_timeout_s, 8 * 1024 * 1024, who_);
        if (res.first.status != 200) throw api_error(who_, res.first.status, res.second, res.first);
        return res;
    }

    // GET /v1/models: {"object": "list", "data": [{"id": ...}, ...]}.
    json::array models(const sdk::Call& call) {
        auto [head, body] = get("/v1/models", call);
        json::error_code ec;
        auto v = json::parse(body, ec);
        if (ec || !v.is_object() || !v.get_object().contains("data") || !v.at("data").is_array())
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, who_ + ": /v1/models did not return {\"data\": [...]}", 200);
        return v.at("data").as_array();
    }

    // The setting, else what the server says: vLLM's max_model_len, or
    // llama.cpp's n_ctx from /props (its /v1/models gives only the
    // training window, which the server's -c usually cuts).
    int64_t context_window(const json::object* entry, const sdk::Call& call) {
        if (s_.context_window > 0) return s_.context_window;
        if (!entry) return 0;
        if (const auto* len = entry->if_contains("max_model_len"); len && len->is_int64()) return len->get_int64();
        if (const auto* owner = entry->if_contains("owned_by");
            owner && owner->is_string() && owner->get_string() == "llamacpp") {
            try {
                auto [head, body] = get("/props", call);
                json::error_code ec;
                auto v = json::parse(body, ec);
                const auto* gen =
                    !ec && v.is_object() ? v.get_object().if_contains("default_generation_settings") : nullptr;
                const auto* n = gen && gen->is_object() ? gen->get_object().if_contains("n_ctx") : nullptr;
                if (n && n->is_int64() && n->get_int64() > 0) return n->get_int64();
            } catch (const Error& e) {  // an older server without /props: the window stays unknown
                sdk::module_host().log(AUTOARR_LOG_DEBUG, who_ + ": no context window from /props: " + e.what());
            }
        }
        return 0;
    }

    openai::ChatBody build_body(std::string_view request, bool stream) {
        std::string fallback;
        {
            std::lock_guard lock(discovered_mutex_);
            fallback = discovered_model_;
        }
        return http::invalid_argument_as(AUTOARR_ERR_INVALID_ARGUMENT, who_,
                                         [&] { return openai::chat_body(request, s_, fallback, stream); });
    }

    openai::Settings s_;
    std::string who_;  // the provider id, which prefixes every message
    std::string key_;  // from the host's secret service; never logged or echoed
    std::size_t max_answer_bytes_;
    http::Client client_;
    std::mutex discovered_mutex_;   // guards discovered_model_
    std::string discovered_model_;  // the server's model, from the last health check, when none is configured
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(OpenAiProvider, "openai", "OpenAI-compatible", "0.1.0",
                        "llama.cpp, LM Studio, vLLM, LocalAI, OpenRouter: any chat-completions server", 30)
