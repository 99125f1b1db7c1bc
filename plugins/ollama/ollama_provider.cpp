// The Ollama provider plugin: Ollama's native HTTP API (/api/chat, /api/tags,
// /api/pull), the default, private, local provider. Protocol facts:
// tests/fixtures/PROTOCOLS.md §1.
#include <autoarr/provider.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "http/client.h"
#include "http/line_splitter.h"
#include "ollama_protocol.h"
#include "provider_glue.h"

namespace {

using autoarr::sdk::Error;
using namespace autoarr;
namespace json = boost::json;
using Steady = std::chrono::steady_clock;

using http::bounded_text;
using http::kMaxErrorBody;

Error from_status(int status, std::string_view body, const http::ResponseHead& head) {
    std::string msg = "ollama: HTTP " + std::to_string(status) + ": " + bounded_text(ollama::error_message(body));
    const auto* ra = head.find("retry-after");
    const int64_t retry_after = ra ? ollama::retry_after_ms(*ra) : -1;
    switch (status) {
        case 400:
            return Error(AUTOARR_ERR_INVALID_ARGUMENT, msg, status);
        case 401:
            return Error(AUTOARR_ERR_AUTH_FAILED, msg, status, -1, AUTOARR_ERROR_FLAG_AUTH_FAILED);
        case 403:
            return Error(AUTOARR_ERR_PERMISSION_DENIED,
                         msg +
                             " (Ollama rejects Host headers it does not trust; use an IP address or localhost in "
                             "OLLAMA_URL, or set OLLAMA_ORIGINS/OLLAMA_HOST on the server)",
                         status);
        case 404:
            return Error(AUTOARR_ERR_NOT_FOUND, msg, status);
        case 413:
            return Error(AUTOARR_ERR_REQUEST_TOO_LARGE, msg, status);
        case 429:
        case 503:
            return Error(AUTOARR_ERR_RATE_LIMITED, msg, status, retry_after, AUTOARR_ERROR_FLAG_RETRYABLE);
        default:
            if (status >= 500)
                return Error(AUTOARR_ERR_BACKEND_ERROR, msg, status, retry_after, AUTOARR_ERROR_FLAG_RETRYABLE);
            return Error(AUTOARR_ERR_BACKEND_ERROR, msg, status);
    }
}

using http::CancelLink;
using http::deadline_for;

class OllamaProvider final : public sdk::Provider {
public:
    static std::unique_ptr<OllamaProvider> create(std::string_view config) {
        auto s = http::invalid_argument_as(AUTOARR_ERR_CONFIG_INVALID, "ollama",
                                           [&] { return ollama::parse_settings(config); });
        auto url = http::base_url_or_config_error("ollama", "url", s.url);
        const auto max_answer = http::max_answer_bytes_or_config_error("ollama", config);
        return std::make_unique<OllamaProvider>(std::move(s), std::move(url), max_answer);
    }

    OllamaProvider(ollama::Settings s, http::BaseUrl url, std::size_t max_answer_bytes)
        : s_(std::move(s)), max_answer_bytes_(max_answer_bytes), client_(std::move(url), options()) {}

    sdk::Capabilities capabilities() const override {
        return {AUTOARR_CAP_STREAMING | AUTOARR_CAP_JSON_MODE | AUTOARR_CAP_JSON_SCHEMA | AUTOARR_CAP_THREAD_SAFE |
                    AUTOARR_CAP_LIST_MODELS | AUTOARR_CAP_TOOLS,
                0};
    }

    std::string health(const sdk::Call& call) override {
        auto models = fetch_models(call, /*force=*/true);
        json::object o;
        json::array names;
        for (const auto& m : models) names.emplace_back(m);
        bool present = has_model(models, s_.model);
        o["status"] = present ? "healthy" : "degraded";
        if (!present) {
            std::string list;
            for (const auto& m : models) list += (list.empty() ? "" : ", ") + m;
            o["reason"] = "model '" + s_.model + "' is not pulled" +
                          (list.empty() ? std::string("; no models are pulled") : "; available: " + list) +
                          (s_.auto_download ? " (it will be pulled on first use)" : "");
        }
        o["models"] = std::move(names);
        // The window the host budgets its prompts for (docs/payloads.md).
        o["model"] = s_.model;
        if (present) o["context_window"] = num_ctx_for(call, s_.model);
        return json::serialize(o);
    }

    std::string list_models(const sdk::Call& call) override {
        json::array arr;
        for (const auto& m : fetch_models(call, false)) {
            json::object entry{{"id", m}};
            if (auto max = known_model_max(m)) entry["max_context"] = *max;
            arr.push_back(std::move(entry));
        }
        return json::serialize(json::object{{"models", std::move(arr)}});
    }

    std::string complete(const sdk::Call& call, std::string_view request) override {
        const auto [body, model, num_ctx] = build_body(call, request, false);
        for (int attempt = 0;; ++attempt) {
            CancelLink link(call);
            std::pair<http::ResponseHead, std::string> r;
            try {
                r = client_.fetch(post("/api/chat", body), deadline_for(call, s_.timeout_s), &link.handle,
                                  max_answer_bytes_);
            } catch (const http::HttpError& e) {
                throw http::transport_error(e, "ollama");
            }
            auto& [head, text] = r;
            if (head.status == 404 && attempt == 0 && s_.auto_download) {
                pull(call, model);
                continue;
            }
            if (head.status != 200) throw from_status(head.status, text, head);
            auto chunk = ollama::parse_chat_chunk(text);
            if (!chunk) throw Error(AUTOARR_ERR_INVALID_RESPONSE, "ollama: the answer is not a JSON object");
            if (chunk->error) throw Error(AUTOARR_ERR_BACKEND_ERROR, "ollama: " + bounded_text(*chunk->error), 200);
            if (!chunk->done)
                throw Error(AUTOARR_ERR_INVALID_RESPONSE, "ollama: the answer has no done:true (incomplete)", 200, -1,
                            AUTOARR_ERROR_FLAG_INCOMPLETE);
            throw_if_cut(*chunk, num_ctx);
            return json::serialize(ollama::response_object(chunk->content, *chunk, model, num_ctx, chunk->tool_calls));
        }
    }

    void stream(const sdk::Call& call, std::string_view request, sdk::StreamWriter& out) override {
        const auto [body, model, num_ctx] = build_body(call, request, true);
        for (int attempt = 0;; ++attempt) {
            StreamState st;
            CancelLink link(call);
            try {
                client_.perform(
                    post("/api/chat", body), deadline_for(call, s_.timeout_s), &link.handle,
                    [&](const http::ResponseHead& h) { st.head = h; },
                    [&](std::string_view piece) { return on_stream_bytes(st, piece, out); });
            } catch (const http::HttpError& e) {
                if (st.stopped) throw Error(AUTOARR_ERR_CANCELLED, "ollama: stopped by the host");
                throw http::transport_error(e, "ollama");
            }
            if (st.stopped) throw Error(AUTOARR_ERR_CANCELLED, "ollama: stopped by the host");
            if (st.too_large) throw http::answer_too_large("ollama", max_answer_bytes_);
            if (st.head.status == 404 && attempt == 0 && s_.auto_download) {
                pull(call, model);
                continue;
            }
            if (st.head.status != 200) throw from_status(st.head.status, st.error_body, st.head);
            if (st.bad_line) throw Error(AUTOARR_ERR_INVALID_RESPONSE, "ollama: " + *st.bad_line, 200);
            if (st.error) throw Error(AUTOARR_ERR_BACKEND_ERROR, "ollama: " + bounded_text(*st.error), 200);
            if (!st.final_chunk)
                throw Error(
                    AUTOARR_ERR_INVALID_RESPONSE,
                    "ollama: the stream ended without done:true (incomplete" +
                        (st.splitter.pending().empty() ? std::string(")") : std::string(", cut inside a line)")),
                    200, -1, AUTOARR_ERROR_FLAG_INCOMPLETE);
            throw_if_cut(*st.final_chunk, num_ctx);
            for (const auto& tool_call : st.tool_calls)
                if (!out.tool_call(json::serialize(tool_call))) return;  // stopped: the helper returns CANCELLED
            out.usage(ollama::usage_json(*st.final_chunk, num_ctx));
            json::object done = ollama::response_object("", *st.final_chunk, model, num_ctx, st.tool_calls);
            done.erase("content");
            out.done(json::serialize(done));
            return;
        }
    }

private:
    struct StreamState {
        http::ResponseHead head;
        http::LineSplitter splitter;
        std::string error_body;
        std::optional<std::string> error;
        std::optional<std::string> bad_line;
        std::optional<ollama::ChatChunk> final_chunk;
        std::vector<boost::json::object> tool_calls;  // ABI 1.1: from every chunk, delivered at the end
        std::size_t received = 0;                     // body bytes of a 200 answer, against max_answer_bytes_
        bool stopped = false;
        bool too_large = false;
    };

    static http::ClientOptions options() {
        http::ClientOptions o;
        o.connect_timeout = std::chrono::milliseconds(2000);
        o.user_agent = "autoarr-ollama/0.1";
        return o;
    }

    static http::Request post(std::string target, std::string body) {
        return http::json_post(std::move(target), std::move(body),
                               {{"accept", "application/x-ndjson, application/json"}});
    }

    ollama::ChatBody build_body(const sdk::Call& call, std::string_view request, bool stream) {
        return http::invalid_argument_as(AUTOARR_ERR_INVALID_ARGUMENT, "ollama", [&] {
            return ollama::chat_body(request, s_, stream,
                                     [&](const std::string& model) { return num_ctx_for(call, model); });
        });
    }

    // A prompt that filled the whole window was cut by Ollama: a typed
    // error, never a success built on half a prompt.
    static void throw_if_cut(const ollama::ChatChunk& c, int64_t num_ctx) {
        if (!ollama::prompt_was_cut(c, num_ctx)) return;
        throw Error(AUTOARR_ERR_REQUEST_TOO_LARGE,
                    "ollama: the prompt filled the whole context window (" + std::to_string(*c.prompt_tokens) +
                        " of num_ctx " + std::to_string(num_ctx) +
                        " tokens), so Ollama cut it; send less or raise num_ctx",
                    200);
    }

    std::optional<int64_t> known_model_max(const std::string& model) {
        std::lock_guard lock(show_mutex_);
        auto it = model_max_.find(model);
        if (it == model_max_.end()) return std::nullopt;
        return it->second;
    }

    // The window for `model`: the setting or the default, capped at the
    // model's maximum from POST /api/show (asked once per model and kept, so
    // every call sends the same num_ctx and Ollama never reloads for it).
    int64_t num_ctx_for(const sdk::Call& call, const std::string& model) {
        {
            std::lock_guard lock(show_mutex_);
            if (auto it = model_max_.find(model); it != model_max_.end())
                return ollama::effective_num_ctx(s_, it->second);
        }
        bool keep = false;
        std::optional<int64_t> max = fetch_model_max(call, model, keep);
        if (keep) {
            std::lock_guard lock(show_mutex_);
            model_max_[model] = max;
        }
        return ollama::effective_num_ctx(s_, max);
    }

    // nullopt: unknown; the call goes on with a conservative window. `keep`
    // says whether the answer holds for good (a server without model_info),
    // or is asked again next call (no such model yet, a transport error).
    std::optional<int64_t> fetch_model_max(const sdk::Call& call, const std::string& model, bool& keep) {
        CancelLink link(call);
        std::pair<http::ResponseHead, std::string> res;
        try {
            res = client_.fetch(post("/api/show", json::serialize(json::object{{"model", model}})),
                                deadline_for(call, s_.health_timeout_s), &link.handle, 16 * 1024 * 1024);
        } catch (const http::HttpError& e) {
            sdk::module_host().log(AUTOARR_LOG_WARN, "cannot ask /api/show for '" + model + "': " + e.what());
            return std::nullopt;
        }
        if (res.first.status != 200) return std::nullopt;
        keep = true;
        auto max = ollama::parse_show_context_length(res.second);
        if (!max)
            sdk::module_host().log(AUTOARR_LOG_WARN, "/api/show for '" + model +
                                                         "' has no context_length; using num_ctx " +
                                                         std::to_string(ollama::effective_num_ctx(s_, std::nullopt)));
        return max;
    }

    // Returns false to stop reading (error line, host stop, malformed line).
    bool on_stream_bytes(StreamState& st, std::string_view piece, sdk::StreamWriter& out) {
        if (st.head.status != 200) {
            st.error_body.append(piece.substr(0, kMaxErrorBody - st.error_body.size()));
            return st.error_body.size() < kMaxErrorBody;  // the rest of an error body is not read
        }
        st.received += piece.size();
        if (st.received > max_answer_bytes_) {
            st.too_large = true;
            return false;
        }
        bool ok = st.splitter.feed(piece, [&](std::string_view line) {
            if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
            auto chunk = ollama::parse_chat_chunk(line);
            if (!chunk) {
                st.bad_line = "a stream line is not JSON: " + bounded_text(line.substr(0, 120));
                return false;
            }
            if (chunk->error) {
                st.error = *chunk->error;
                return false;
            }
            if (!chunk->content.empty() && !out.text(chunk->content)) {
                st.stopped = true;
                return false;
            }
            for (auto& call : chunk->tool_calls) {
                call["index"] = static_cast<int64_t>(st.tool_calls.size());  // numbered across the whole stream
                ollama::name_call(call);
                st.tool_calls.push_back(std::move(call));
            }
            if (chunk->done) st.final_chunk = std::move(*chunk);
            return true;
        });
        if (!ok && st.splitter.too_long()) st.bad_line = "a stream line is longer than 8 MiB";
        return ok;
    }

    std::vector<std::string> fetch_models(const sdk::Call& call, bool force) {
        {
            std::lock_guard lock(models_mutex_);
            if (!force && models_fetched_ &&
                Steady::now() - *models_fetched_ < std::chrono::duration<double>(s_.models_ttl_s))
                return models_;
        }
        http::Request r;
        r.target = "/api/tags";
        CancelLink link(call);
        std::pair<http::ResponseHead, std::string> res;
        try {
            res = client_.fetch(r, deadline_for(call, s_.health_timeout_s), &link.handle, 16 * 1024 * 1024);
        } catch (const http::HttpError& e) {
            throw http::transport_error(e, "ollama");
        }
        if (res.first.status != 200) throw from_status(res.first.status, res.second, res.first);
        auto names = ollama::parse_tags(res.second);
        if (!names) throw Error(AUTOARR_ERR_INVALID_RESPONSE, "ollama: /api/tags did not return {\"models\": [...]}");
        std::lock_guard lock(models_mutex_);
        models_ = *names;
        models_fetched_ = Steady::now();
        return models_;
    }

    static bool has_model(const std::vector<std::string>& models, const std::string& wanted) {
        for (const auto& m : models)
            if (ollama::model_matches(wanted, m)) return true;
        return false;
    }

    // One POST /api/pull, bounded by its own long timeout (still cancellable).
    void pull(const sdk::Call& call, const std::string& model) {
        const auto& host = sdk::module_host();
        host.log(AUTOARR_LOG_INFO, "pulling model '" + model + "' (auto-download is on)");
        CancelLink link(call);
        http::ResponseHead head;
        http::LineSplitter splitter;
        std::string last_status, error_body;
        std::optional<std::string> error;
        bool success = false;
        auto deadline = Steady::now() +
                        std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(s_.pull_timeout_s));
        auto on_line = [&](std::string_view line) {
            json::error_code ec;
            auto v = json::parse(line, ec);
            if (ec || !v.is_object()) return true;
            const auto& o = v.get_object();
            if (const auto* e = o.if_contains("error")) {
                error = e->is_string() ? std::string(e->get_string()) : json::serialize(*e);
                return false;
            }
            if (const auto* s = o.if_contains("status"); s && s->is_string()) {
                std::string status(s->get_string());
                if (status != last_status) {
                    host.log(AUTOARR_LOG_INFO, "pull " + model + ": " + status);
                    last_status = status;
                }
                if (status == "success") success = true;
            }
            return true;
        };
        try {
            client_.perform(
                post("/api/pull", json::serialize(json::object{{"model", model}, {"stream", true}})), deadline,
                &link.handle, [&](const http::ResponseHead& h) { head = h; },
                [&](std::string_view piece) {
                    if (head.status != 200) {
                        error_body.append(piece.substr(0, kMaxErrorBody - error_body.size()));
                        return error_body.size() < kMaxErrorBody;
                    }
                    return splitter.feed(piece, on_line);
                });
        } catch (const http::HttpError& e) {
            throw http::transport_error(e, "ollama");
        }
        // A one-object answer (stream:false, older servers) has no final LF.
        if (head.status == 200 && !splitter.pending().empty()) on_line(splitter.pending());
        if (head.status != 200) throw from_status(head.status, error_body, head);
        if (error)
            throw Error(AUTOARR_ERR_NOT_FOUND, "ollama: cannot pull model '" + model + "': " + bounded_text(*error));
        if (!success)
            throw Error(AUTOARR_ERR_INVALID_RESPONSE, "ollama: the pull of '" + model + "' ended without success");
        host.log(AUTOARR_LOG_INFO, "pulled model '" + model + "'");
        {
            std::lock_guard lock(models_mutex_);
            models_fetched_.reset();  // the list changed
        }
        std::lock_guard lock(show_mutex_);
        model_max_.erase(model);  // a new pull may be another model under the same name
    }

    ollama::Settings s_;
    std::size_t max_answer_bytes_;
    http::Client client_;
    std::mutex models_mutex_;  // guards models_, models_fetched_
    std::vector<std::string> models_;
    std::optional<Steady::time_point> models_fetched_;
    std::mutex show_mutex_;                                    // guards model_max_
    std::map<std::string, std::optional<int64_t>> model_max_;  // model -> max context from /api/show
};

}  // namespace

AUTOARR_DEFINE_PROVIDER(OllamaProvider, "ollama", "Ollama", "0.1.0", "Local, private models through an Ollama server",
                        10)
