#include "claude_protocol.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <limits>
#include <stdexcept>

#include "json_object.h"
#include "settings_reader.h"
#include "tool_functions.h"

namespace autoarr::claude {
namespace json = boost::json;

namespace {

using plugin_json::parse_object;

const json::value* field(const json::object& o, std::string_view k) {
    return o.if_contains(k);
}

std::string str(const json::value* v) {
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

Settings parse_settings(std::string_view text) {
    Settings s;
    const plugin_json::SettingsReader in(text);
    in.text("provider_id", s.provider_id, /*may_be_empty=*/false);
    in.text("base_url", s.base_url, /*may_be_empty=*/false);
    in.text("model", s.model, /*may_be_empty=*/false);
    in.text("ca_file", s.ca_file, /*may_be_empty=*/false);
    in.text("anthropic_version", s.anthropic_version, /*may_be_empty=*/false);
    in.positive("timeout_s", s.timeout_s);
    in.positive("health_timeout_s", s.health_timeout_s);
    in.integer("max_idle_connections", s.max_idle_connections, 0, 256);
    in.integer("max_tokens", s.max_tokens, 1, std::numeric_limits<int64_t>::max());
    in.choice("structured_output", s.structured_output, {"auto", "on", "off"});
    return s;
}

bool supports_structured_output(std::string_view model) {
    // claude-<family>-<major>-<minor>[-date], e.g. claude-sonnet-4-5-20250929.
    for (std::string_view family : {"claude-opus-", "claude-sonnet-", "claude-haiku-"}) {
        if (!model.starts_with(family)) continue;
        std::string_view rest = model.substr(family.size());
        int major = 0, minor = 0;
        std::size_t i = 0;
        while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
            major = std::min(major * 10 + (rest[i++] - '0'), 1000);  // no overflow on a long digit run
        if (i == 0) return false;
        if (i < rest.size() && rest[i] == '-' && i + 1 < rest.size() &&
            std::isdigit(static_cast<unsigned char>(rest[i + 1])) &&
            (i + 2 >= rest.size() || !std::isdigit(static_cast<unsigned char>(rest[i + 2])) ||
             rest.size() - i - 1 <= 2)) {
            ++i;
            while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
                minor = std::min(minor * 10 + (rest[i++] - '0'), 1000);
            if (minor > 99) minor = 0;  // a date, not a minor version (claude-opus-4-20250514)
        }
        if (major > 4) return true;
        if (major < 4) return false;
        return minor >= 5 || (family == "claude-opus-" && minor == 1);
    }
    return false;
}

bool structured_output_refused(int status, std::string_view body) {
    return status == 400 && (body.find("output_config") != std::string_view::npos ||
                             body.find("output_format") != std::string_view::npos);
}

MessagesBody messages_body(std::string_view request_json, const Settings& s, bool stream,
                           const StructuredFor& structured) {
    json::object req = parse_object(request_json, "the chat request");
    json::object body;
    std::string model = s.model;
    if (const auto* m = req.if_contains("model"); m && m->is_string() && !m->get_string().empty())
        model = std::string(m->get_string());
    body["model"] = model;
    int64_t max_tokens = s.max_tokens;
    if (const auto* mt = req.if_contains("max_tokens"); mt && !mt->is_null()) {
        if (!mt->is_int64() || mt->get_int64() <= 0)
            throw std::invalid_argument("\"max_tokens\" must be a positive integer");
        max_tokens = mt->get_int64();
    }
    body["max_tokens"] = max_tokens;

    const auto* msgs = req.if_contains("messages");
    if (!msgs || !msgs->is_array() || msgs->get_array().empty())
        throw std::invalid_argument("\"messages\" must be a non-empty array");
    std::string system;
    bool cache_system = false;
    json::array out;
    for (const auto& m : msgs->get_array()) {
        if (!m.is_object()) throw std::invalid_argument("every message must be an object");
        std::string role = str(m.get_object().if_contains("role"));
        const auto* content = m.get_object().if_contains("content");
        if (!content || !content->is_string()) throw std::invalid_argument("every message needs a string \"content\"");
        const auto* calls = m.get_object().if_contains("tool_calls");
        if (role == "assistant" && calls && calls->is_array() && !calls->get_array().empty()) {
            // ABI 1.1: the calls the model made are tool_use blocks of its turn.
            json::array blocks;
            if (!content->get_string().empty()) blocks.push_back(json::object{{"type", "text"}, {"text", *content}});
            for (auto& c : tools::parse_request_calls(*calls, "a message"))
                blocks.push_back(json::object{
                    {"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", std::move(c.arguments)}});
            out.push_back(json::object{{"role", "assistant"}, {"content", std::move(blocks)}});
            continue;
        }
        if (role == "tool") {
            // Results go back as tool_result blocks of one user turn (the API
            // wants every result of a turn in the next user message).
            const auto* id = m.get_object().if_contains("tool_call_id");
            if (!id || !id->is_string() || id->get_string().empty())
                throw std::invalid_argument("a tool message needs \"tool_call_id\"");
            json::object result{{"type", "tool_result"}, {"tool_use_id", *id}, {"content", *content}};
            if (!out.empty() && out.back().at("role") == "user" && out.back().at("content").is_array())
                out.back().at("content").as_array().push_back(std::move(result));
            else
                out.push_back(json::object{{"role", "user"}, {"content", json::array{std::move(result)}}});
            continue;
        }
        if (role == "system") {
            if (const auto* c = m.get_object().if_contains("cache"); c && c->is_bool() && c->get_bool())
                cache_system = true;
            system += (system.empty() ? "" : "\n\n") + std::string(content->get_string());
        } else if (role == "user" || role == "assistant") {
            out.push_back(json::object{{"role", role}, {"content", content->get_string()}});
        } else {
            throw std::invalid_argument("message role \"" + role +
                                        "\" is not supported by the Messages API (only system, user, assistant, tool)");
        }
    }
    if (out.empty()) throw std::invalid_argument("\"messages\" needs at least one user or assistant message");
    // A schema goes to structured outputs where the model has them; plain
    // JSON mode, and a schema for other models, are asked for in the system
    // prompt (the Messages API has no JSON mode of its own).
    if (const auto* f = req.if_contains("format"); f && !f->is_null()) {
        std::string ask;
        if (f->is_string() && f->get_string() == "json")
            ask = "Respond with a single JSON value and nothing else.";
        else if (f->is_object() && structured && structured(model))
            body["output_config"] = json::object{{"format", json::object{{"type", "json_schema"}, {"schema", *f}}}};
        else if (f->is_object())
            ask = "Respond with a single JSON value that conforms to this JSON Schema, and nothing else:\n" +
                  json::serialize(*f);
        else
            throw std::invalid_argument("\"format\" must be \"json\" or a JSON Schema object");
        if (!ask.empty()) system += (system.empty() ? "" : "\n\n") + ask;
    }
    // The stable prefix is cached (prompt caching): every audit batch starts
    // with the same system block.
    if (!system.empty() && cache_system)
        body["system"] = json::array{
            json::object{{"type", "text"}, {"text", system}, {"cache_control", json::object{{"type", "ephemeral"}}}}};
    else if (!system.empty())
        body["system"] = system;
    body["messages"] = std::move(out);
    if (const auto* t = req.if_contains("temperature"); t && !t->is_null()) {
        if (!t->is_number()) throw std::invalid_argument("\"temperature\" must be a number");
        body["temperature"] = t->to_number<double>();
    }
    if (const auto* st = req.if_contains("stop"); st && !st->is_null()) {
        if (!st->is_array()) throw std::invalid_argument("\"stop\" must be an array of strings");
        body["stop_sequences"] = *st;
    }
    if (const auto* o = req.if_contains("options"); o && o->is_object())
        for (const char* k : {"top_p", "top_k"})
            if (const auto* v = o->get_object().if_contains(k)) body[k] = *v;
    if (const auto* t = req.if_contains("tools"); t && !t->is_null()) {
        json::array mapped;
        for (auto& tool : tools::parse_tools(*t)) {
            json::object o{{"name", tool.name}, {"input_schema", std::move(tool.parameters)}};
            if (!tool.description.empty()) o["description"] = tool.description;
            mapped.push_back(std::move(o));
        }
        if (!mapped.empty()) body["tools"] = std::move(mapped);
    }
    if (const auto* c = req.if_contains("tool_choice"); c && !c->is_null()) {
        json::object choice;
        if (c->is_string() && (c->get_string() == "auto" || c->get_string() == "none"))
            choice = {{"type", *c}};
        else if (c->is_string() && c->get_string() == "required")
            choice = {{"type", "any"}};
        else if (c->is_object() && c->get_object().contains("name") && c->at("name").is_string())
            choice = {{"type", "tool"}, {"name", c->at("name")}};
        else
            throw std::invalid_argument("\"tool_choice\" must be \"auto\", \"none\", \"required\" or {\"name\": ...}");
        body["tool_choice"] = std::move(choice);
    }
    if (stream) body["stream"] = true;
    return {json::serialize(body), std::move(model)};
}

namespace {
void read_usage(const json::value* u, Usage& out) {
    if (!u || !u->is_object()) return;
    // Cumulative counts: overwrite, never add (PROTOCOLS.md §2.3).
    if (const auto* i = u->get_object().if_contains("input_tokens"); i && i->is_int64())
        out.input_tokens = i->get_int64();
    if (const auto* o = u->get_object().if_contains("output_tokens"); o && o->is_int64())
        out.output_tokens = o->get_int64();
}
}  // namespace

std::optional<Message> parse_message(std::string_view body) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    if (str(field(o, "type")) != "message") return std::nullopt;
    Message m;
    if (const auto* c = o.if_contains("content"); c && c->is_array())
        for (const auto& b : c->get_array()) {
            if (!b.is_object()) continue;
            const std::string type = str(b.get_object().if_contains("type"));
            if (type == "text") m.text += str(b.get_object().if_contains("text"));
            if (type == "tool_use") {
                const auto* input = b.get_object().if_contains("input");
                m.tool_calls.push_back(
                    tools::call_object(static_cast<int64_t>(m.tool_calls.size()), str(b.get_object().if_contains("id")),
                                       str(b.get_object().if_contains("name")),
                                       input && input->is_object() ? input->get_object() : json::object{}));
            }
        }
    m.id = str(field(o, "id"));
    m.model = str(field(o, "model"));
    m.stop_reason = str(field(o, "stop_reason"));
    if (const auto* ss = o.if_contains("stop_sequence"); ss && ss->is_string())
        m.stop_sequence = std::string(ss->get_string());
    read_usage(o.if_contains("usage"), m.usage);
    return m;
}

std::string normalise_stop_reason(std::string_view r) {
    if (r == "max_tokens" || r == "model_context_window_exceeded") return "length";
    if (r == "refusal") return "content_filter";  // ABI 1.1; the model declined for safety reasons
    if (r == "tool_use") return "tool_calls";     // ABI 1.1
    return "stop";                                // end_turn, stop_sequence, pause_turn
}

namespace {
json::object usage_object(const Usage& u) {
    return json::object{{"prompt_tokens", u.input_tokens.value_or(0)},
                        {"completion_tokens", u.output_tokens.value_or(0)}};
}
}  // namespace

std::string usage_json(const Usage& u) {
    return json::serialize(usage_object(u));
}

json::object response_object(const Message& m, const std::string& fallback_model) {
    json::object o;
    o["content"] = m.text;
    o["model"] = m.model.empty() ? fallback_model : m.model;
    o["usage"] = usage_object(m.usage);
    o["finish_reason"] = normalise_stop_reason(m.stop_reason);
    o["raw_finish_reason"] = m.stop_reason;
    if (m.stop_sequence) o["stop_sequence"] = *m.stop_sequence;
    if (!m.tool_calls.empty()) o["tool_calls"] = json::array(m.tool_calls.begin(), m.tool_calls.end());
    if (!m.id.empty()) o["request_id"] = m.id;
    return o;
}

std::string chat_response(const Message& m, const std::string& fallback_model) {
    return json::serialize(response_object(m, fallback_model));
}

ApiError parse_error(std::string_view body) {
    ApiError e;
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        const auto& o = v.get_object();
        if (const auto* err = o.if_contains("error"); err && err->is_object()) {
            e.type = str(err->get_object().if_contains("type"));
            e.message = str(err->get_object().if_contains("message"));
        }
        e.request_id = str(o.if_contains("request_id"));
        if (!e.type.empty()) return e;
    }
    // Not Anthropic JSON: an intermediary's page. Describe it briefly.
    std::string text(body.substr(0, 200));
    auto t = text.find("<title>");
    if (t != std::string::npos) {
        auto end = text.find("</title>", t);
        text = text.substr(t + 7, end == std::string::npos ? std::string::npos : end - t - 7);
    }
    for (auto& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    e.message = "non-JSON body: " + (text.empty() ? std::string("(empty)") : text);
    return e;
}

std::string StreamAssembler::apply(std::string_view event, std::string_view data) {
    json::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec || !v.is_object()) {
        malformed = "an event's data is not JSON: " + std::string(data.substr(0, 120));
        return {};
    }
    const auto& o = v.get_object();
    if (event == "error") {
        ApiError e = parse_error(data);
        error = e;
        return {};
    }
    if (event == "message_start") {
        started = true;
        if (const auto* m = o.if_contains("message"); m && m->is_object()) {
            message.model = str(m->get_object().if_contains("model"));
            message.id = str(m->get_object().if_contains("id"));
            read_usage(m->get_object().if_contains("usage"), message.usage);
        }
    } else if (event == "content_block_start") {
        const auto* idx = o.if_contains("index");
        const auto* block = o.if_contains("content_block");
        if (idx && idx->is_int64() && block && block->is_object()) {
            block_types[idx->get_int64()] = str(block->get_object().if_contains("type"));
            if (block_types[idx->get_int64()] == "tool_use")
                tool_blocks[idx->get_int64()] = {str(block->get_object().if_contains("id")),
                                                 str(block->get_object().if_contains("name")), ""};
        }
    } else if (event == "content_block_delta") {
        const auto* idx = o.if_contains("index");
        const auto* delta = o.if_contains("delta");
        if (!idx || !idx->is_int64() || !delta || !delta->is_object()) return {};
        auto it = block_types.find(idx->get_int64());
        if (it != block_types.end() && it->second == "tool_use" &&
            str(delta->get_object().if_contains("type")) == "input_json_delta") {
            tool_blocks[idx->get_int64()].input += str(delta->get_object().if_contains("partial_json"));
            return {};
        }
        if (it == block_types.end() || it->second != "text") return {};  // thinking etc.
        if (str(delta->get_object().if_contains("type")) != "text_delta") return {};
        std::string text = str(delta->get_object().if_contains("text"));
        message.text += text;
        return text;
    } else if (event == "message_delta") {
        if (const auto* d = o.if_contains("delta"); d && d->is_object()) {
            if (const auto* sr = d->get_object().if_contains("stop_reason"); sr && sr->is_string())
                message.stop_reason = std::string(sr->get_string());
            if (const auto* ss = d->get_object().if_contains("stop_sequence"); ss && ss->is_string())
                message.stop_sequence = std::string(ss->get_string());
        }
        read_usage(o.if_contains("usage"), message.usage);
    } else if (event == "message_stop") {
        complete = true;
    } else if (event == "content_block_stop") {
        // A tool_use block is whole: its input fragments must make one JSON object.
        const auto* idx = o.if_contains("index");
        auto tb = idx && idx->is_int64() ? tool_blocks.find(idx->get_int64()) : tool_blocks.end();
        if (tb != tool_blocks.end()) {
            json::error_code ec2;
            json::value input = json::parse(tb->second.input.empty() ? "{}" : tb->second.input, ec2);
            if (ec2 || !input.is_object()) {
                malformed = "tool_use block \"" + tb->second.name + "\" has input that is not a JSON object";
                return {};
            }
            message.tool_calls.push_back(tools::call_object(static_cast<int64_t>(message.tool_calls.size()),
                                                            tb->second.id, tb->second.name,
                                                            std::move(input.get_object())));
            tool_blocks.erase(tb);
        }
    }
    // ping and unknown events: nothing to do
    return {};
}

}  // namespace autoarr::claude
