// Reading a first-party plugin's settings object, one typed key at a time,
// with one wording for every error: `setting "<key>" must be ...`. A key that
// is absent leaves the value as it was (the plugin's default). Errors are
// std::invalid_argument; the plugins turn them into CONFIG_INVALID.
// Header-only, Boost.JSON only.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "json_object.h"

namespace autoarr::plugin_json {

class SettingsReader {
public:
    // `text` must be one JSON object; an empty text is no settings at all.
    explicit SettingsReader(std::string_view text) : o_(parse_object(text.empty() ? "{}" : text, "the settings")) {}

    const boost::json::value* raw(const char* key) const { return o_.if_contains(key); }

    void text(const char* key, std::string& out, bool may_be_empty = true) const {
        const auto* v = raw(key);
        if (!v) return;
        if (!v->is_string() || (!may_be_empty && v->get_string().empty()))
            fail(key, may_be_empty ? "a string" : "a non-empty string");
        out = std::string(v->get_string());
    }
    void positive(const char* key, double& out) const {
        const auto* v = raw(key);
        if (!v) return;
        if (!v->is_number() || !(v->to_number<double>() > 0)) fail(key, "a positive number");
        out = v->to_number<double>();
    }
    void integer(const char* key, int64_t& out, int64_t min, int64_t max) const {
        const auto* v = raw(key);
        if (!v) return;
        if (!v->is_int64() || v->get_int64() < min || v->get_int64() > max) {
            if (max == std::numeric_limits<int64_t>::max())
                fail(key, min == 1 ? "a positive integer" : "an integer of at least " + std::to_string(min));
            fail(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
        }
        out = v->get_int64();
    }
    void integer(const char* key, std::optional<int64_t>& out, int64_t min, int64_t max) const {
        if (!raw(key)) return;
        int64_t n = 0;
        integer(key, n, min, max);
        out = n;
    }
    void boolean(const char* key, bool& out) const {
        const auto* v = raw(key);
        if (!v) return;
        if (!v->is_bool()) fail(key, "true or false");
        out = v->get_bool();
    }
    void choice(const char* key, std::string& out, std::initializer_list<const char*> allowed) const {
        const auto* v = raw(key);
        if (!v) return;
        std::string list;
        for (const char* a : allowed) {
            if (v->is_string() && v->get_string() == a) {
                out = a;
                return;
            }
            list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
        }
        fail(key, "one of " + list);
    }

    [[noreturn]] static void fail(const char* key, const std::string& what) {
        throw std::invalid_argument(std::string("setting \"") + key + "\" must be " + what);
    }

private:
    boost::json::object o_;
};

}  // namespace autoarr::plugin_json
