// The parts of ABI 1.1's tool payloads (docs/payloads.md) that the
// first-party plugins map the same way: checking a request's "tools", the
// OpenAI-style function objects that OpenAI-compatible servers and Ollama
// both take, and the one shape of a tool call that the host receives.
// Header-only, Boost.JSON only; throws std::invalid_argument naming the field.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace autoarr::tools {

// One checked entry of "tools": {name, description?, parameters?}.
struct Tool {
    boost::json::string name;
    boost::json::string description;
    boost::json::object parameters;  // a JSON Schema object; {"type": "object"} when absent
};

inline std::vector<Tool> parse_tools(const boost::json::value& tools) {
    if (!tools.is_array()) throw std::invalid_argument("\"tools\" must be an array");
    std::vector<Tool> out;
    std::size_t i = 0;
    for (const auto& t : tools.get_array()) {
        const std::string at = "tools[" + std::to_string(i++) + "]";
        const auto* o = t.is_object() ? &t.get_object() : nullptr;
        const auto* name = o ? o->if_contains("name") : nullptr;
        if (!name || !name->is_string() || name->get_string().empty())
            throw std::invalid_argument(at + ".name must be a non-empty string");
        Tool tool{name->get_string(), {}, boost::json::object{{"type", "object"}}};
        if (const auto* d = o->if_contains("description"); d && d->is_string()) tool.description = d->get_string();
        if (const auto* p = o->if_contains("parameters"); p && !p->is_null()) {
            if (!p->is_object()) throw std::invalid_argument(at + ".parameters must be a JSON Schema object");
            tool.parameters = p->get_object();
        }
        out.push_back(std::move(tool));
    }
    return out;
}

// [{"type": "function", "function": {name, description, parameters}}]: OpenAI's and Ollama's form.
inline boost::json::array as_functions(const boost::json::value& tools) {
    boost::json::array out;
    for (auto& t : parse_tools(tools)) {
        boost::json::object fn{{"name", t.name}, {"parameters", std::move(t.parameters)}};
        if (!t.description.empty()) fn["description"] = t.description;
        out.push_back(boost::json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    return out;
}

// One entry of an assistant message's "tool_calls" in a request: the calls
// the model made earlier, sent back with their results.
struct RequestCall {
    boost::json::string id;
    boost::json::string name;
    boost::json::object arguments;
};

inline std::vector<RequestCall> parse_request_calls(const boost::json::value& calls, const std::string& at) {
    if (!calls.is_array()) throw std::invalid_argument(at + ".tool_calls must be an array");
    std::vector<RequestCall> out;
    for (const auto& c : calls.get_array()) {
        const auto* co = c.is_object() ? &c.get_object() : nullptr;
        const auto* id = co ? co->if_contains("id") : nullptr;
        const auto* name = co ? co->if_contains("name") : nullptr;
        const auto* args = co ? co->if_contains("arguments") : nullptr;
        if (!id || !id->is_string() || !name || !name->is_string() || !args || !args->is_object())
            throw std::invalid_argument(at + ".tool_calls needs {\"id\", \"name\", \"arguments\": {...}}");
        out.push_back({id->get_string(), name->get_string(), args->get_object()});
    }
    return out;
}

// What the host receives, in answers ("tool_calls") and as AUTOARR_EVENT_TOOL_CALL.
inline boost::json::object call_object(int64_t index, const std::string& id, const std::string& name,
                                       boost::json::object arguments) {
    return boost::json::object{{"index", index}, {"id", id}, {"name", name}, {"arguments", std::move(arguments)}};
}

}  // namespace autoarr::tools
