#include "server/request_guard.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "util/strings.h"

namespace autoarr::server {

namespace {

const std::string* header(const HttpRequest& r, const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? nullptr : &it->second;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

// Both IP literals naming the same address ("::1" and "0:0::1"), or equal text.
bool same_host(const std::string& a, const std::string& b) {
    if (a == b) return true;
    boost::system::error_code ea, eb;
    auto x = boost::asio::ip::make_address(a, ea), y = boost::asio::ip::make_address(b, eb);
    return !ea && !eb && x == y;
}

// The media type of a Content-Type value, without parameters, lower-case.
std::string media_type(std::string_view value) {
    return util::lower(util::trim(value.substr(0, value.find(';'))));
}

}  // namespace

std::string host_of(std::string_view value) {
    const std::string v = util::lower(util::trim(value));
    std::string host, port;
    if (!v.empty() && v.front() == '[') {
        const auto close = v.find(']');
        if (close == std::string::npos) return {};
        host = v.substr(1, close - 1);
        if (close + 1 < v.size()) {
            if (v[close + 1] != ':') return {};
            port = v.substr(close + 2);
        }
        if (!is_ip_literal(host)) return {};
    } else {
        const auto colon = v.find(':');
        host = v.substr(0, colon);
        if (colon != std::string::npos) port = v.substr(colon + 1);
    }
    if (host.empty()) return {};
    for (char c : host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':')) return {};
    for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c))) return {};
    return host;
}

RequestGuard::RequestGuard(GuardPolicy policy) : policy_(std::move(policy)) {
    // "nas.lan:8000" names the host nas.lan: ports are not compared.
    for (auto& h : policy_.allowed_hosts) {
        auto name = host_of(h);
        h = name.empty() ? util::trim(h) : name;  // "*" stays itself
    }
    for (auto& o : policy_.allowed_origins) o = util::lower(util::trim(o));
    boost::system::error_code ec;
    const auto addr = boost::asio::ip::make_address(policy_.listen_address, ec);
    listen_wildcard_ = !ec && addr.is_unspecified();
}

GuardVerdict RequestGuard::check(const HttpRequest& request, bool has_body) const {
    GuardVerdict verdict;
    verdict.refusal = check_host(request);
    if (!verdict.refusal) verdict.refusal = check_origin(request, verdict);
    if (!verdict.refusal && !verdict.preflight) verdict.refusal = check_content_type(request, has_body);
    if (verdict.refusal) verdict.cors_headers.clear();
    return verdict;
}

std::optional<Refusal> RequestGuard::check_host(const HttpRequest& request) const {
    const std::string* value = header(request, "host");
    if (!value) return std::nullopt;  // HTTP/1.0 without Host: no browser sends that (1.1 without is framing's 400)
    const std::string host = host_of(*value);
    if (host.empty()) return Refusal{400, "bad_host", "host", "the Host header \"" + *value + "\" is not host[:port]"};
    const bool allowed = host == "localhost" || same_host(host, policy_.listen_address) ||
                         (listen_wildcard_ && is_ip_literal(host)) ||
                         std::any_of(policy_.allowed_hosts.begin(), policy_.allowed_hosts.end(),
                                     [&](const std::string& h) { return h == "*" || h == host; });
    if (allowed) return std::nullopt;
    return Refusal{421, "host_not_allowed", "host",
                   "this server does not answer for Host \"" + host +
                       "\" (it answers for its listen address and localhost; allow more names with "
                       "--allowed-host or AUTOARR_ALLOWED_HOSTS)"};
}

bool RequestGuard::origin_allowed(const std::string& origin) const {
    return std::find(policy_.allowed_origins.begin(), policy_.allowed_origins.end(), origin) !=
           policy_.allowed_origins.end();
}

std::optional<Refusal> RequestGuard::check_origin(const HttpRequest& request, GuardVerdict& verdict) const {
    const std::string* value = header(request, "origin");
    if (!value) return std::nullopt;  // not sent by a browser on someone else's behalf
    const std::string origin = util::lower(util::trim(*value));
    // Same origin: the page was served by this very host and port.
    const std::string* host = header(request, "host");
    const auto scheme_end = origin.find("://");
    if (host && scheme_end != std::string::npos && origin.substr(scheme_end + 3) == util::lower(util::trim(*host)))
        return std::nullopt;
    if (!origin_allowed(origin))
        return Refusal{403, "origin_not_allowed", "origin",
                       "requests from Origin \"" + *value +
                           "\" are not allowed (allow it with --allowed-origin or AUTOARR_ALLOWED_ORIGINS)"};
    verdict.cors_headers = {{"Access-Control-Allow-Origin", *value}, {"Vary", "Origin"}};
    if (request.method == "OPTIONS" && header(request, "access-control-request-method")) {
        verdict.preflight = true;
        verdict.cors_headers.emplace_back("Access-Control-Allow-Methods", "GET, POST");
        verdict.cors_headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
        verdict.cors_headers.emplace_back("Access-Control-Max-Age", "600");
    }
    return std::nullopt;
}

std::optional<Refusal> RequestGuard::check_content_type(const HttpRequest& request, bool has_body) const {
    if (!has_body) return std::nullopt;
    const std::string* value = header(request, "content-type");
    if (value && media_type(*value) == "application/json") return std::nullopt;
    return Refusal{415, "unsupported_media_type", "content-type",
                   "a request body must be sent with Content-Type: application/json" +
                       (value ? " (not \"" + *value + "\")" : std::string(" (none was given)"))};
}

}  // namespace autoarr::server
