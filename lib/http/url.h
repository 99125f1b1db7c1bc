// A provider's base URL, parsed and checked with Boost.URL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace autoarr::http {

struct BaseUrl {
    bool tls = false;
    std::string host;         // without brackets for IPv6
    std::string port;         // always set ("80"/"443" by default)
    std::string path_prefix;  // "" or "/prefix" (no trailing slash)
    std::string host_header;  // "host:port" as sent in Host
    // A literal 127.0.0.0/8 or ::1. A name, even "localhost", is not: it goes
    // through /etc/hosts and DNS, and may resolve to another machine.
    bool is_loopback_address() const;
};

// nullopt with `error` naming what is wrong.
std::optional<BaseUrl> parse_base_url(std::string_view text, std::string& error);

}  // namespace autoarr::http
