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

}  // namespace autoarr::routing
