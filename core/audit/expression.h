// The rule expression language (docs/rules.md): JSON in, a JSON value (or
// "missing") out. Small, total and side-effect free: an expression that
// meets a missing document or a value of the wrong type evaluates to
// missing/false, never throws, so one odd document cannot stop an audit.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autoarr::audit {

using Value = std::optional<boost::json::value>;  // nullopt = missing

struct Scope {
    const boost::json::object* documents = nullptr;  // {"sabnzbd": {...}, "sonarr": {...}, ...}
    std::string app;                                  // the *arr app a templated rule runs for
    std::string today;                                // YYYY-MM-DD, the audit date
    std::map<std::string, boost::json::value> vars;   // bound by any/all/count/filter/map/let
};

// Throws std::invalid_argument for a malformed expression (unknown operator,
// wrong arity): rule files are checked when loaded, not during an audit.
Value evaluate(const boost::json::value& expr, Scope& scope);
void validate(const boost::json::value& expr);  // the same checks, no documents needed

// Truthiness with the media apps' quirks: true, nonzero numbers, "1",
// "true", "yes", "on" are true; missing, null, false, 0, "", "0", "false",
// "no", "off", [] and {} are false.
bool truthy(const Value& v);

// "64M" -> 67108864 (K/M/G/T, powers of 1024); "" or junk -> nullopt.
std::optional<double> parse_size(std::string_view text);

}  // namespace autoarr::audit
