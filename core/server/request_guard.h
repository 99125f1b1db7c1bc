// What a request may ask of a service that listens on the user's machine:
// the defence against hostile web pages (docs/operations.md, "Security").
// A page the user visits can send requests to 127.0.0.1; DNS rebinding can
// even make the browser read the answers. Three rules stop that, checked on
// the request header, before the body is read:
//
//   rule          refuses                                           status
//   host          a Host that is not the listen address, localhost  421
//                 or an allowed host (--allowed-host)
//   origin        an Origin that is neither this server's own nor   403
//                 an allowed origin (--allowed-origin)
//   content-type  a body that is not Content-Type: application/json 415
//
// A CORS preflight from an allowed origin is answered here (204); any other
// preflight is refused by the origin rule, or reaches the routes (405).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/http_server.h"

namespace autoarr::server {

// Why a request is refused before it reaches a route.
struct Refusal {
    int status = 400;
    std::string code;     // the error body's "code"
    std::string rule;     // the rule that refused it, for the log line
    std::string message;  // names what is wrong and, where it helps, the setting that allows it
};

struct GuardPolicy {
    std::string listen_address;                // an IP literal; 0.0.0.0 or :: accept every IP-literal Host
    std::vector<std::string> allowed_hosts;    // extra Host names (no port); "*" accepts any Host
    std::vector<std::string> allowed_origins;  // "scheme://host[:port]" that may call cross-origin
};

struct GuardVerdict {
    std::optional<Refusal> refusal;
    bool preflight = false;  // an allowed CORS preflight: answer 204 with `cors_headers`, no route
    // For an allowed cross-origin request: the Access-Control-* headers every response carries.
    std::vector<std::pair<std::string, std::string>> cors_headers;
};

class RequestGuard {
public:
    explicit RequestGuard(GuardPolicy policy);

    // `request` holds the method and the lower-case headers; `has_body`: the
    // header announces a body (Content-Length above 0, or chunked).
    GuardVerdict check(const HttpRequest& request, bool has_body) const;

private:
    std::optional<Refusal> check_host(const HttpRequest& request) const;
    std::optional<Refusal> check_origin(const HttpRequest& request, GuardVerdict& verdict) const;
    std::optional<Refusal> check_content_type(const HttpRequest& request, bool has_body) const;
    bool origin_allowed(const std::string& origin) const;

    GuardPolicy policy_;
    bool listen_wildcard_ = false;
};

// The host part of a Host header value: "[::1]:8000" -> "::1",
// "LocalHost:80" -> "localhost". Empty when the value is not host[:port].
std::string host_of(std::string_view host_header);

}  // namespace autoarr::server
