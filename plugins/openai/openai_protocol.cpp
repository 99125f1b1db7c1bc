#include "openai_protocol.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "json_object.h"
#include "settings_reader.h"
#include "tool_functions.h"

namespace autoarr::openai {
namespace json = boost::json;

namespace {

using plugin_json::parse_object;

std::string str(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<int64_t> count(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64() && v->get_int64() >= 0) return v->get_int64();
    if (v && v->is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(v->get_uint64(), INT64_MAX));
    return std::nullopt;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// One chat_request/1 message -> one chat-completions message.
json::object message_to_openai(const json::value& m, std::size_t i) {
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw std::invalid_argument(at + " is not an object");
    const auto& o = m.get_object();
    const auto* role = o.if_contains("role");
    if (!role || !role->is_string()) throw std::invalid_argument(at + ".role must be a string");
    const std::string r(role->get_string());
    const auto* content = o.if_contains("content");
    const auto* calls = o.if_contains("tool_calls");
    const bool has_calls = calls && calls->is_array() && !calls->get_array().empty();
    if (r != "system" && r != "user" && r != "assistant" && r != "tool")
        throw std::invalid_argument(at + ".role \"" + r + "\" is not system, user, assistant or tool");
    if (!(content && content->is_string()) && !(r == "assistant" && has_calls))
        throw std::invalid_argument(at + ".content must be a string");
    json::object out{{"role", r}, {"content", content && content->is_string() ? *content : json::value("")}};
    if (r == "tool") {
        const auto* id = o.if_contains("tool_call_id");
        if (!id || !id->is_string() || id->get_string().empty())
            throw std::invalid_argument(at + ".tool_call_id must name the call this message answers");
        out["tool_call_id"] = *id;
    }
    if (calls && !calls->is_null()) {
        if (r != "assistant" || !calls->is_array())
            throw std::invalid_argument(at + ".tool_calls belongs to an assistant message, as an array");
        json::array mapped;
        for (auto& c : tools::parse_request_calls(*calls, at))  // the protocol carries arguments as JSON text
            mapped.push_back(json::object{
                {"id", c.id},
                {"type", "function"},
                {"function", json::object{{"name", c.name}, {"arguments", json::serialize(c.arguments)}}}});
        out["tool_calls"] = std::move(mapped);
    }
    return out;
}

json::value tool_choice_to_openai(const json::value& c) {
    if (c.is_string() && (c.get_string() == "auto" || c.get_string() == "none" || c.get_string() == "required"))
        return c;
    if (c.is_object())
        if (const auto* n = c.get_object().if_contains("name"); n && n->is_string())
            return json::object{{"type", "function"}, {"function", json::object{{"name", *n}}}};
    throw std::invalid_argument("\"tool_choice\" must be \"auto\", \"none\", \"required\" or {\"name\": \"...\"}");
}

}  // namespace

Settings parse_settings(std::string_view text) {
    Settings s;
    const plugin_json::SettingsReader in(text);
    in.text("provider_id", s.provider_id);
    in.text("base_url", s.base_url);
    in.text("model", s.model);
    in.text("ca_file", s.ca_file);
    in.positive("timeout_s", s.timeout_s);
    in.positive("health_timeout_s", s.health_timeout_s);
    in.integer("max_idle_connections", s.max_idle_connections, 0, 256);
    in.integer("context_window", s.context_window, 0, 100000000);
    in.integer("max_concurrency", s.max_concurrency, 0, 1024);
    in.choice("structured_output", s.structured_output, {"json_schema", "json_object", "off"});
    in.choice("health_check", s.health_check, {"auto", "models", "key"});
    in.boolean("stream_usage", s.stream_usage);
    in.boolean("tools", s.tools);
    return s;
}

ChatBody chat_body(std::string_view request_json, const Settings& s, const std::string& default_model, bool stream) {
    json::object req = parse_object(request_json, "the request");
    const auto* messages = req.if_contains("messages");
    if (!messages || !messages->is_array() || messages->get_array().empty())
        throw std::invalid_argument("\"messages\" must be a non-empty array");
    ChatBody out;
    out.model = str(req, "model");
    if (out.model.empty()) out.model = s.model.empty() ? default_model : s.model;
    json::object body;
    if (!out.model.empty()) body["model"] = out.model;  // llama.cpp serves its one model without a name
    json::array msgs;
    std::size_t i = 0;
    for (const auto& m : messages->get_array()) msgs.push_back(message_to_openai(m, i++));
    body["messages"] = std::move(msgs);
    if (const auto* t = req.if_contains("temperature"); t && !t->is_null()) {
        if (!t->is_number()) throw std::invalid_argument("\"temperature\" must be a number");
        body["temperature"] = *t;
    }
    if (const auto* m = req.if_contains("max_tokens"); m && !m->is_null()) {
        if (!m->is_int64() || m->get_int64() <= 0)
            throw std::invalid_argument("\"max_tokens\" must be a positive integer");
        body["max_tokens"] = *m;
    }
    if (const auto* st = req.if_contains("stop"); st && !st->is_null()) {
        if (!st->is_array()) throw std::invalid_argument("\"stop\" must be an array of strings");
        for (const auto& x : st->get_array())
            if (!x.is_string()) throw std::invalid_argument("\"stop\" must be an array of strings");
        body["stop"] = *st;
    }
    if (const auto* f = req.if_contains("format"); f && !f->is_null()) {
        const bool schema = f->is_object();
        if (!schema && !(f->is_string() && f->get_string() == "json"))
            throw std::invalid_argument("\"format\" must be \"json\" or a JSON Schema object");
        if (s.structured_output == "off")
            throw std::invalid_argument("\"format\": this server takes no response_format (structured_output \"off\")");
        if (schema && s.structured_output == "json_schema")
            body["response_format"] =
                json::object{{"type", "json_schema"},
                             {"json_schema", json::object{{"name", "answer"}, {"strict", true}, {"schema", *f}}}};
        else
            body["response_format"] = json::object{{"type", "json_object"}};
    }
    if (const auto* t = req.if_contains("tools"); t && !t->is_null()) {
        if (!s.tools) throw std::invalid_argument("\"tools\": tools are off for this server (setting \"tools\")");
        if (t->is_array() && !t->get_array().empty()) body["tools"] = tools::as_functions(*t);
    }
    if (const auto* c = req.if_contains("tool_choice"); c && !c->is_null()) {
        if (!s.tools) throw std::invalid_argument("\"tool_choice\": tools are off for this server (setting \"tools\")");
        body["tool_choice"] = tool_choice_to_openai(*c);
    }
    if (const auto* opts = req.if_contains("options"); opts && !opts->is_null()) {
        if (!opts->is_object()) throw std::invalid_argument("\"options\" must be an object");
        for (const auto& kv : opts->get_object()) {
            const std::string k(kv.key());
            if (body.contains(k) || k == "stream" || k == "stream_options")
                throw std::invalid_argument("\"options\" may not set \"" + k + "\"; use the request field");
            body[k] = kv.value();  // provider-specific (top_p, seed, ...): passed through
        }
    }
    if (stream) {
        body["stream"] = true;
        if (s.stream_usage) body["stream_options"] = json::object{{"include_usage", true}};
    }
    out.body = json::serialize(body);
    return out;
}

namespace {

Usage parse_usage(const json::value* u) {
    Usage out;
    if (!u || !u->is_object()) return out;
    const auto& o = u->get_object();
    out.prompt_tokens = count(o, "prompt_tokens");
    out.completion_tokens = count(o, "completion_tokens");
    if (const auto* d = o.if_contains("prompt_tokens_details"); d && d->is_object())
        out.cached_prompt_tokens = count(d->get_object(), "cached_tokens");
    if (const auto* c = o.if_contains("cost"); c && c->is_number()) out.cost = c->to_number<double>();
    return out;
}

void read_tool_call(const json::value& v, ToolCall& t, bool append) {
    if (!v.is_object()) return;
    const auto& o = v.get_object();
    if (auto i = count(o, "index")) t.index = *i;
    if (auto id = str(o, "id"); !id.empty()) t.id = id;
    if (const auto* fn = o.if_contains("function"); fn && fn->is_object()) {
        if (auto n = str(fn->get_object(), "name"); !n.empty()) t.name = n;
        if (const auto* a = fn->get_object().if_contains("arguments")) {
            // Text by the protocol; a few servers send the object itself.
            std::string text = a->is_string() ? std::string(a->get_string()) : json::serialize(*a);
            t.arguments = append ? t.arguments + text : text;
        }
    }
}

}  // namespace

std::optional<Completion> parse_completion(std::string_view body) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    const auto* choices = o.if_contains("choices");
    if (!choices || !choices->is_array() || choices->get_array().empty() || !choices->get_array()[0].is_object())
        return std::nullopt;
    const auto& choice = choices->get_array()[0].get_object();
    const auto* msg = choice.if_contains("message");
    if (!msg || !msg->is_object()) return std::nullopt;
    Completion c;
    c.id = str(o, "id");
    c.model = str(o, "model");
    c.content = str(msg->get_object(), "content");  // null when the answer is only tool calls
    c.finish_reason = str(choice, "finish_reason");
    if (const auto* calls = msg->get_object().if_contains("tool_calls"); calls && calls->is_array()) {
        int64_t i = 0;
        for (const auto& call : calls->get_array()) {
            ToolCall t;
            t.index = i++;
            read_tool_call(call, t, false);
            c.tool_calls.push_back(std::move(t));
        }
    }
    c.usage = parse_usage(o.if_contains("usage"));
    return c;
}

std::string normalise_finish_reason(std::string_view raw) {
    if (raw == "stop" || raw == "eos" || raw.empty()) return "stop";
    if (raw == "length") return "length";
    if (raw == "tool_calls" || raw == "function_call") return "tool_calls";
    if (raw == "content_filter") return "content_filter";
    return "error";
}

boost::json::object tool_call_object(const ToolCall& t) {
    json::error_code ec;
    json::value args = json::parse(t.arguments.empty() ? "{}" : t.arguments, ec);
    if (ec || !args.is_object())
        throw std::invalid_argument("tool call \"" + t.name + "\" has arguments that are not a JSON object");
    return tools::call_object(t.index, t.id, t.name, std::move(args.get_object()));
}

std::string usage_json(const Usage& u, int64_t context_window) {
    json::object o{{"prompt_tokens", u.prompt_tokens.value_or(0)},
                   {"completion_tokens", u.completion_tokens.value_or(0)}};
    if (u.cached_prompt_tokens) o["cached_prompt_tokens"] = *u.cached_prompt_tokens;
    if (context_window > 0) o["context_window"] = context_window;
    return json::serialize(o);
}

boost::json::object response_object(const Completion& c, const std::string& fallback_model, int64_t context_window) {
    json::object o{{"content", c.content},
                   {"model", c.model.empty() ? fallback_model : c.model},
                   {"usage", json::parse(usage_json(c.usage, context_window))},
                   {"finish_reason", normalise_finish_reason(c.finish_reason)},
                   {"raw_finish_reason", c.finish_reason}};
    if (!c.tool_calls.empty()) {
        json::array calls;
        for (const auto& t : c.tool_calls) calls.push_back(tool_call_object(t));
        o["tool_calls"] = std::move(calls);
    }
    if (!c.id.empty()) o["request_id"] = c.id;
    if (c.usage.cost) o["cost"] = json::object{{"amount", *c.usage.cost}, {"currency", "USD"}};
    return o;
}

ApiError parse_error(std::string_view body) {
    ApiError e;
    json::error_code ec;
    json::value v = json::parse(body, ec);
    const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
    if (o)
        if (const auto* inner = o->if_contains("error"); inner && inner->is_object()) o = &inner->get_object();
    if (!o || !o->contains("message")) {
        std::string text(body.substr(0, 200));
        e.message = "non-JSON body: " + (text.empty() ? std::string("(empty)") : text);
        if (o && o->contains("error") && o->at("error").is_string() && !o->at("error").as_string().empty())
            e.message = std::string(o->at("error").as_string());
        return e;
    }
    e.message = str(*o, "message");
    // Found by the openai_stream fuzzer: {"error": {"message": ""}} (or a
    // number) left the error without words; say what the body was instead.
    if (e.message.empty()) e.message = "an error without a message: " + std::string(body.substr(0, 200));
    e.type = str(*o, "type");
    if (const auto* c = o->if_contains("code"))
        e.code = c->is_string() ? std::string(c->get_string()) : json::serialize(*c);
    return e;
}

bool is_context_overflow(const ApiError& e) {
    const std::string m = lower(e.message);
    return e.type == "exceed_context_size_error" || e.code == "context_length_exceeded" ||
           m.find("maximum context length") != std::string::npos ||
           m.find("exceeds the available context size") != std::string::npos;
}

std::string StreamAssembler::apply(std::string_view data) {
    if (data == "[DONE]") {
        done = true;
        return {};
    }
    json::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec || !v.is_object()) {
        malformed = "a stream chunk is not JSON: " + std::string(data.substr(0, 120));
        return {};
    }
    const auto& o = v.get_object();
    if (const auto* err = o.if_contains("error"); err && !err->is_null()) {
        error = parse_error(json::serialize(json::object{{"error", *err}}));
        return {};
    }
    if (auto id = str(o, "id"); !id.empty()) completion.id = id;
    if (auto m = str(o, "model"); !m.empty()) completion.model = m;
    if (const auto* u = o.if_contains("usage"); u && u->is_object()) completion.usage = parse_usage(u);
    const auto* choices = o.if_contains("choices");
    if (!choices || !choices->is_array() || choices->get_array().empty()) return {};  // the usage chunk
    const auto* choice = choices->get_array()[0].is_object() ? &choices->get_array()[0].get_object() : nullptr;
    if (!choice) return {};
    if (auto f = str(*choice, "finish_reason"); !f.empty()) completion.finish_reason = f;
    const auto* delta = choice->if_contains("delta");
    if (!delta || !delta->is_object()) return {};
    if (const auto* calls = delta->get_object().if_contains("tool_calls"); calls && calls->is_array()) {
        for (const auto& c : calls->get_array()) {
            const auto* co = c.is_object() ? &c.get_object() : nullptr;
            const int64_t index = co ? count(*co, "index").value_or(0) : 0;
            auto& t = tool_calls[index];
            t.index = index;
            read_tool_call(c, t, true);
        }
    }
    std::string text = str(delta->get_object(), "content");
    completion.content += text;
    return text;
}

}  // namespace autoarr::openai
