// Framing rules for a request header, checked before the body is read
// (RFC 9112 §3.2, §6.1, §6.3). A request whose length a proxy in front of us
// could read differently from us is refused and its connection closed: that
// difference is what request smuggling lives on.
#pragma once

#include <boost/beast/http/message.hpp>
#include <optional>

#include "server/request_guard.h"

namespace autoarr::server {

// The refusal for a header whose framing cannot be trusted, or nullopt:
// - Transfer-Encoding in an HTTP/1.0 request, or together with Content-Length: 400;
// - Transfer-Encoding whose last coding is not "chunked" (gzip, xchunked, identity), or chunked twice: 400;
// - a coding before chunked that this server does not decode (gzip, chunked): 501;
// - HTTP/1.1 without Host, or more than one Host: 400.
std::optional<Refusal> framing_refusal(const boost::beast::http::request_header<>& header);

// The request as the guard and the handlers see it, from its parsed header:
// method, target, and the fields with lower-case names (a repeated field
// keeps its last value).
HttpRequest request_from_header(const boost::beast::http::request_header<>& header);
// After the body: trailer fields join the headers; a name already there keeps its value.
void add_trailer_fields(HttpRequest& request, const boost::beast::http::fields& fields);
// Fills request.path and request.query from request.target; false when the
// target is not a valid origin-form path (the caller answers 400).
bool split_target(HttpRequest& request);

}  // namespace autoarr::server
