// One HTTP/1.1 request to a service on 127.0.0.1, through the plugins' own
// client, for tests that drive the real `autoarr serve` binary.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "http/client.h"

namespace autoarr::test {

// A body is sent as application/json. Throws what the client throws.
inline std::pair<http::ResponseHead, std::string> loopback_request(uint16_t port, const std::string& method,
                                                                   const std::string& target,
                                                                   const std::string& body = "",
                                                                   std::vector<http::Header> headers = {}) {
    std::string why;
    http::Client c(*http::parse_base_url("http://127.0.0.1:" + std::to_string(port), why));
    http::Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    if (!body.empty()) headers.push_back({"content-type", "application/json"});
    r.headers = std::move(headers);
    return c.fetch(r, std::chrono::steady_clock::now() + std::chrono::seconds(30), nullptr);
}

}  // namespace autoarr::test
