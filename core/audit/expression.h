// The rule expression language (docs/rules.md): JSON in, a JSON value (or
// "missing") out. Small, total and side-effect free: an expression that
// meets a missing document or a value of the wrong type evaluates to
// missing/false, never throws, so one odd document cannot stop an audit.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace autoarr::audit {

// A value during evaluation, or "missing". It either borrows from the
// documents (no copy: rules walk large documents many times) or owns a
// computed value; a value derived from an owned one (a member, an element)
// shares that ownership, so nothing can dangle.
class Value {
public:
    Value() = default;
    Value(std::nullopt_t) {}
    Value(const boost::json::value& v) : own_(std::make_shared<boost::json::value>(v)), p_(own_.get()) {}
    Value(boost::json::value&& v) : own_(std::make_shared<boost::json::value>(std::move(v))), p_(own_.get()) {}
    // Borrows v, which must outlive every use (the documents).
    static Value ref(const boost::json::value* v) {
        Value r;
        r.p_ = v;
        return r;
    }
    // A part of this value (member, element), sharing its ownership.
    Value part(const boost::json::value* v) const {
        Value r;
        r.own_ = own_;
        r.p_ = v;
        return r;
    }
    bool has_value() const { return p_ != nullptr; }
    explicit operator bool() const { return p_ != nullptr; }
    const boost::json::value& operator*() const { return *p_; }
    const boost::json::value* operator->() const { return p_; }

private:
    std::shared_ptr<boost::json::value> own_;
    const boost::json::value* p_ = nullptr;
};

struct Scope {
    const boost::json::object* documents = nullptr;  // {"sabnzbd": {...}, "sonarr": {...}, ...}
    std::string app;                                 // the *arr app a templated rule runs for
    std::string today;                               // YYYY-MM-DD, the audit date
    std::map<std::string, Value> vars;               // bound by any/all/count/filter/map/let
    Value arrs;                                      // $arrs, built once per scope
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
