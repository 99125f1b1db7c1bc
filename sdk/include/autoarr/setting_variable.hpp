// The environment variable that sets one of a provider's settings:
// AUTOARR_PROVIDER_<ID>_<KEY>, the id and key in upper case with every
// character that is not a letter or a digit as '_' (docs/configuration.md).
// The host reads these variables; a plugin uses this to name the one a user
// should set, e.g. in a "not configured" reason. Header-only, C++17.
#pragma once

#include <string>
#include <string_view>

namespace autoarr::sdk {

inline std::string setting_variable(std::string_view provider_id, std::string_view key) {
    std::string out = "AUTOARR_PROVIDER_";
    auto append = [&out](std::string_view part) {
        for (char c : part) {
            const unsigned char u = static_cast<unsigned char>(c);
            const bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
            out += alnum ? static_cast<char>(u >= 'a' && u <= 'z' ? u - 'a' + 'A' : u) : '_';
        }
    };
    append(provider_id);
    out += '_';
    append(key);
    return out;
}

}  // namespace autoarr::sdk
