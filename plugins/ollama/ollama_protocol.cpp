#include "ollama_protocol.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "json_object.h"
#include "settings_reader.h"
#include "tool_functions.h"

namespace autoarr::ollama {
namespace json = boost::json;
using plugin_json::parse_object;

namespace {

json::object usage_object(const ChatChunk& f, int64_t num_ctx) {
    json::object o{{"prompt_tokens", f.prompt_tokens.value_or(0)},
                   {"completion_tokens", f.completion_tokens.value_or(0)}};
    if (f.cached_tokens) o["cached_prompt_tokens"] = *f.cached_tokens;
    if (num_ctx > 0) o["context_window"] = num_ctx;
    return o;
}

}  // namespace

Settings parse_settings(std::string_view text) {
    Settings s;
    const plugin_json::SettingsReader in(text);
    in.text("url", s.url, /*may_be_empty=*/false);
    in.text("model", s.model, /*may_be_empty=*/false);
    in.positive("timeout_s", s.timeout_s);
    in.positive("pull_timeout_s", s.pull_timeout_s);
    in.positive("health_timeout_s", s.health_timeout_s);
    in.positive("models_ttl_s", s.models_ttl_s);
    in.boolean("auto_download", s.auto_download);
    if (const auto* v = in.raw("keep_alive")) {
        if (!v->is_number() && !v->is_string())
            plugin_json::SettingsReader::fail("keep_alive", "seconds or a duration such as \"5m\"");
        s.keep_alive = *v;
    }
    in.integer("num_ctx", s.num_ctx, 256, 1048576);
    in.boolean("think", s.think);
    return s;
}

int64_t effective_num_ctx(const Settings& s, std::optional<int64_t> model_max) {
    if (!model_max) return s.num_ctx.value_or(kUnknownModelNumCtx);
    return std::min(s.num_ctx.value_or(kDefaultNumCtx), *model_max);
}

ChatBody chat_body(std::string_view request_json, const Settings& settings, bool stream, const WindowFor& window) {
    // Everything here is scratch: one arena, released at once (no per-node frees).
    unsigned char scratch[4096];
    json::monotonic_resource arena(scratch, sizeof scratch);
    json::storage_ptr sp(&arena);
    json::object req = parse_object(request_json, "the chat request", sp);
    json::object body(sp);
    std::string model = settings.model;
    if (const auto* m = req.if_contains("model"); m && m->is_string() && !m->get_string().empty())
        model = std::string(m->get_string());
    body["model"] = model;

    const auto* msgs = req.if_contains("messages");
    if (!msgs || !msgs->is_array() || msgs->get_array().empty())
        throw std::invalid_argument("\"messages\" must be a non-empty array");
    json::array out(sp);
    std::map<std::string, std::string> call_names;  // tool_call_id -> the tool's name (Ollama answers by name)
    for (const auto& m : msgs->get_array()) {
        if (!m.is_object()) throw std::invalid_argument("every message must be an object");
        const auto* role = m.get_object().if_contains("role");
        const auto* content = m.get_object().if_contains("content");
        if (!role || !role->is_string()) throw std::invalid_argument("every message needs a string \"role\"");
        std::string r(role->get_string());
        if (r != "system" && r != "user" && r != "assistant" && r != "tool")
            throw std::invalid_argument("message role \"" + r + "\" is not system, user, assistant or tool");
        if (!content || !content->is_string()) throw std::invalid_argument("every message needs a string \"content\"");
        json::object msg({{"role", r}, {"content", content->get_string()}}, sp);
        if (const auto* calls = m.get_object().if_contains("tool_calls"); calls && calls->is_array()) {
            json::array mapped(sp);
            for (auto& c : tools::parse_request_calls(*calls, "a message")) {
                call_names[std::string(c.id)] = std::string(c.name);
                mapped.push_back(
                    json::object{{"function", json::object{{"name", c.name}, {"arguments", std::move(c.arguments)}}}});
            }
            msg["tool_calls"] = std::move(mapped);
        }
        if (r == "tool") {
            const auto* id = m.get_object().if_contains("tool_call_id");
            auto it = id && id->is_string() ? call_names.find(std::string(id->get_string())) : call_names.end();
            if (it == call_names.end())
                throw std::invalid_argument("a tool message's \"tool_call_id\" must name a call of an earlier message");
            msg["tool_name"] = it->second;
        }
        out.push_back(std::move(msg));
    }
    body["messages"] = std::move(out);
    if (const auto* t = req.if_contains("tools"); t && !t->is_null()) {
        const auto* choice = req.if_contains("tool_choice");
        const bool none = choice && choice->is_string() && choice->get_string() == "none";
        if (choice && !choice->is_null() && !none && !(choice->is_string() && choice->get_string() == "auto"))
            throw std::invalid_argument("\"tool_choice\": Ollama cannot force a tool call; use \"auto\" or \"none\"");
        if (!none && t->is_array() && !t->get_array().empty()) body["tools"] = tools::as_functions(*t);
    }
    body["stream"] = stream;
    if (const auto* f = req.if_contains("format"); f && !f->is_null()) {
        if (f->is_string() && f->get_string() == "json")
            body["format"] = "json";
        else if (f->is_object())
            body["format"] = *f;
        else
            throw std::invalid_argument("\"format\" must be \"json\" or a JSON Schema object");
    }
    json::object options(sp);
    if (const auto* o = req.if_contains("options"); o && o->is_object()) options = o->get_object();
    if (const auto* t = req.if_contains("temperature"); t && !t->is_null()) {
        if (!t->is_number()) throw std::invalid_argument("\"temperature\" must be a number");
        options["temperature"] = t->to_number<double>();
    }
    if (const auto* mt = req.if_contains("max_tokens"); mt && !mt->is_null()) {
        if (!mt->is_int64() || mt->get_int64() <= 0)
            throw std::invalid_argument("\"max_tokens\" must be a positive integer");
        options["num_predict"] = mt->get_int64();
    }
    if (const auto* st = req.if_contains("stop"); st && !st->is_null()) {
        if (!st->is_array()) throw std::invalid_argument("\"stop\" must be an array of strings");
        options["stop"] = *st;
    }
    // One window per model, on every call: a change of num_ctx makes Ollama
    // reload the model. A request's own options.num_ctx still wins.
    int64_t num_ctx = 0;
    if (const auto* given = options.if_contains("num_ctx"); given && given->is_int64())
        num_ctx = given->get_int64();
    else if (window && (num_ctx = window(model)) > 0)
        options["num_ctx"] = num_ctx;
    if (!options.empty()) body["options"] = std::move(options);
    if (settings.keep_alive) body["keep_alive"] = *settings.keep_alive;
    body["think"] = settings.think;
    return {json::serialize(body), std::move(model), num_ctx};
}

std::optional<ChatChunk> parse_chat_chunk(std::string_view text) {
    unsigned char scratch[4096];  // the parsed tree is scratch: what is kept is copied out
    json::monotonic_resource arena(scratch, sizeof scratch);
    json::error_code ec;
    json::value v = json::parse(text, ec, &arena);
    if (ec || !v.is_object()) return std::nullopt;
    const json::object& o = v.get_object();
    ChatChunk c;
    // Like the official client: look for "error" before anything else.
    if (const auto* e = o.if_contains("error")) {
        c.error = e->is_string() ? std::string(e->get_string()) : json::serialize(*e);
        return c;
    }
    if (const auto* m = o.if_contains("message"); m && m->is_object()) {
        if (const auto* content = m->get_object().if_contains("content"); content && content->is_string())
            c.content = std::string(content->get_string());
        if (const auto* calls = m->get_object().if_contains("tool_calls"); calls && calls->is_array()) {
            for (const auto& call : calls->get_array()) {
                const auto* fn = call.is_object() ? call.get_object().if_contains("function") : nullptr;
                if (!fn || !fn->is_object()) continue;
                const auto& f = fn->get_object();
                const auto* name = f.if_contains("name");
                const auto* args = f.if_contains("arguments");
                const auto* id = call.get_object().if_contains("id");
                const auto n = static_cast<int64_t>(c.tool_calls.size());
                c.tool_calls.push_back(tools::call_object(
                    n, id && id->is_string() ? std::string(id->get_string()) : std::string(),  // named later
                    name && name->is_string() ? std::string(name->get_string()) : std::string(),
                    args && args->is_object() ? json::object(args->get_object()) : json::object{}));
            }
        }
    }
    if (const auto* r = o.if_contains("response"); r && r->is_string()) c.content = std::string(r->get_string());
    if (const auto* d = o.if_contains("done"); d && d->is_bool()) c.done = d->get_bool();
    if (const auto* dr = o.if_contains("done_reason"); dr && dr->is_string())
        c.done_reason = std::string(dr->get_string());
    if (const auto* p = o.if_contains("prompt_eval_count"); p && p->is_int64()) c.prompt_tokens = p->get_int64();
    if (const auto* e = o.if_contains("eval_count"); e && e->is_int64()) c.completion_tokens = e->get_int64();
    if (const auto* k = o.if_contains("prompt_eval_cached_count"); k && k->is_int64()) c.cached_tokens = k->get_int64();
    if (const auto* m = o.if_contains("model"); m && m->is_string()) c.model = std::string(m->get_string());
    return c;
}

std::string normalise_finish_reason(std::string_view r) {
    if (r == "length") return "length";
    if (r.empty() || r == "stop" || r == "load" || r == "unload") return "stop";
    return "error";
}

std::string usage_json(const ChatChunk& f, int64_t num_ctx) {
    return json::serialize(usage_object(f, num_ctx));
}

bool prompt_was_cut(const ChatChunk& f, int64_t num_ctx) {
    if (num_ctx <= 0 || !f.prompt_tokens) return false;  // no count: unknown, not a cut
    return *f.prompt_tokens >= num_ctx;
}

std::optional<int64_t> parse_show_context_length(std::string_view body) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto* info = v.get_object().if_contains("model_info");
    if (!info || !info->is_object()) return std::nullopt;
    const auto& mi = info->get_object();
    const auto* arch = mi.if_contains("general.architecture");
    if (!arch || !arch->is_string()) return std::nullopt;
    const auto* len = mi.if_contains(std::string(arch->get_string()) + ".context_length");
    if (!len || !len->is_number()) return std::nullopt;
    const auto n = len->to_number<double>();
    if (!(n >= 1) || n > 1e9) return std::nullopt;  // a hostile or broken server: treated as unknown
    return static_cast<int64_t>(n);
}

json::object response_object(const std::string& content, const ChatChunk& f, const std::string& model, int64_t num_ctx,
                             const std::vector<json::object>& tool_calls) {
    json::object o;
    o["content"] = content;
    o["model"] = f.model.empty() ? model : f.model;
    o["usage"] = usage_object(f, num_ctx);
    // Ollama says "stop" after tool calls too; the payload says what happened.
    o["finish_reason"] = tool_calls.empty() ? normalise_finish_reason(f.done_reason) : "tool_calls";
    o["raw_finish_reason"] = f.done_reason;
    if (!tool_calls.empty()) {
        json::array calls(tool_calls.begin(), tool_calls.end());
        for (auto& c : calls) name_call(c.as_object());
        o["tool_calls"] = std::move(calls);
    }
    return o;
}

void name_call(json::object& call) {
    if (call.at("id").as_string().empty()) call["id"] = "call_" + std::to_string(call.at("index").to_number<int64_t>());
}

std::string chat_response(const std::string& content, const ChatChunk& f, const std::string& model, int64_t num_ctx) {
    return json::serialize(response_object(content, f, model, num_ctx));
}

std::optional<std::vector<std::string>> parse_tags(std::string_view body) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto* models = v.get_object().if_contains("models");
    if (!models || !models->is_array()) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& m : models->get_array()) {
        if (!m.is_object()) continue;
        const auto* n = m.get_object().if_contains("name");
        if (!n) n = m.get_object().if_contains("model");
        if (n && n->is_string()) names.emplace_back(n->get_string());
    }
    return names;
}

bool model_matches(std::string_view wanted, std::string_view have) {
    if (wanted == have) return true;
    if (wanted.find(':') == std::string_view::npos) return have == std::string(wanted) + ":latest";
    return false;
}

std::string error_message(std::string_view body) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (!ec && v.is_object())
        if (const auto* e = v.get_object().if_contains("error"); e && e->is_string())
            return std::string(e->get_string());
    std::string text(body.substr(0, 300));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text.empty() ? "(empty body)" : text;
}

int64_t retry_after_ms(const std::string& header) {
    double seconds = 0;
    try {
        seconds = std::stod(header);
    } catch (const std::logic_error&) {  // not a number, or out of double's range
        return -1;
    }
    // Found by fuzzing: "1e30" or "nan" made the cast to int64_t undefined.
    if (!(seconds >= 0 && seconds <= kMaxRetryAfterSeconds)) return -1;
    return static_cast<int64_t>(seconds * 1000);
}

}  // namespace autoarr::ollama
