#include "routing/format_adapt.h"

#include <autoarr/provider.h>

#include <boost/json.hpp>

namespace autoarr::routing {
namespace json = boost::json;

bool adapt_format_to_capabilities(const std::string& request_json, uint64_t caps, std::string& out) {
    if (caps & AUTOARR_CAP_JSON_SCHEMA) return false;
    json::error_code ec;
    json::value v = json::parse(request_json, ec);
    if (ec || !v.is_object()) return false;  // the provider reports a malformed request itself
    auto& o = v.get_object();
    const auto* f = o.if_contains("format");
    if (!f || f->is_null()) return false;
    const bool is_schema = f->is_object();
    if (!is_schema && (caps & AUTOARR_CAP_JSON_MODE)) return false;  // "json" is honoured as it is
    if (caps & AUTOARR_CAP_JSON_MODE)
        o["format"] = "json";
    else
        o.erase("format");
    out = json::serialize(o);
    return true;
}

uint64_t required_capabilities(const std::string& request_json, bool format_is_hint) {
    // Most requests carry neither field: no parse for them.
    const bool maybe_tools = request_json.find("\"tool") != std::string::npos;
    const bool maybe_format = !format_is_hint && request_json.find("\"format\"") != std::string::npos;
    if (!maybe_tools && !maybe_format) return 0;
    json::error_code ec;
    json::value v = json::parse(request_json, ec);
    if (ec || !v.is_object()) return 0;  // the provider reports a malformed request itself
    const auto& o = v.get_object();
    uint64_t need = 0;
    for (const char* key : {"tools", "tool_choice"})
        if (const auto* t = o.if_contains(key); t && !t->is_null() && !(t->is_array() && t->get_array().empty()))
            need |= AUTOARR_CAP_TOOLS;
    if (maybe_format)
        if (const auto* f = o.if_contains("format"); f && !f->is_null())
            need |= f->is_object() ? AUTOARR_CAP_JSON_SCHEMA : AUTOARR_CAP_JSON_MODE;
    return need;
}

std::string describe_capabilities(uint64_t missing) {
    struct Name {
        uint64_t flag;
        const char* text;
    };
    static constexpr Name kNames[] = {{AUTOARR_CAP_TOOLS, "tools (AUTOARR_CAP_TOOLS)"},
                                      {AUTOARR_CAP_JSON_SCHEMA, "a JSON Schema format (AUTOARR_CAP_JSON_SCHEMA)"},
                                      {AUTOARR_CAP_JSON_MODE, "JSON mode (AUTOARR_CAP_JSON_MODE)"}};
    std::string out;
    for (const auto& n : kNames)
        if (missing & n.flag) out += (out.empty() ? "" : ", ") + std::string(n.text);
    return out;
}

}  // namespace autoarr::routing
