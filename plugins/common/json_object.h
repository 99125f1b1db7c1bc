// Reading a payload or a settings text that must be one JSON object, as the
// first-party plugins' protocol code does. Header-only, Boost.JSON only.
#pragma once

#include <boost/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace autoarr::plugin_json {

// The object, or std::invalid_argument "<what> must be a JSON object"; its
// memory from `sp` (e.g. a per-call arena) when one is given.
inline boost::json::object parse_object(std::string_view text, const char* what, boost::json::storage_ptr sp = {}) {
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(text, ec, std::move(sp));
    if (ec || !v.is_object()) throw std::invalid_argument(std::string(what) + " must be a JSON object");
    return std::move(v.get_object());
}

}  // namespace autoarr::plugin_json
