#include "server/request_framing.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <vector>

#include "util/strings.h"

namespace autoarr::server {

namespace bhttp = boost::beast::http;

namespace {

std::string lower_name(std::string_view name) {
    std::string out(name);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Refusal bad(std::string message) {
    return Refusal{400, "bad_request", "framing", std::move(message)};
}

// Every coding of every Transfer-Encoding line, in order, lower-case.
std::vector<std::string> codings(const bhttp::request_header<>& header) {
    std::vector<std::string> out;
    for (auto it = header.find(bhttp::field::transfer_encoding);
         it != header.end() && it->name() == bhttp::field::transfer_encoding; ++it) {
        std::string_view list = it->value();
        while (true) {
            const auto comma = list.find(',');
            // A coding's parameters (";q=...") are not allowed on chunked; keep them so it is refused.
            std::string item = util::lower(util::trim(list.substr(0, comma)));
            if (!item.empty()) out.push_back(std::move(item));
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    return out;
}

}  // namespace

std::optional<Refusal> framing_refusal(const bhttp::request_header<>& header) {
    const auto hosts = header.count(bhttp::field::host);
    if (header.version() >= 11 && hosts == 0) return bad("an HTTP/1.1 request must have a Host header");
    if (hosts > 1) return bad("the request has more than one Host header");

    if (header.count(bhttp::field::transfer_encoding) == 0) return std::nullopt;
    if (header.version() < 11) return bad("Transfer-Encoding is not allowed in an HTTP/1.0 request");
    if (header.count(bhttp::field::content_length) > 0)
        return bad("a request must not have both Transfer-Encoding and Content-Length");
    const auto list = codings(header);
    if (list.empty() || list.back() != "chunked")
        return bad("Transfer-Encoding must end in \"chunked\" (the body length cannot be known otherwise)");
    if (std::count(list.begin(), list.end(), "chunked") > 1) return bad("Transfer-Encoding applies chunked twice");
    if (list.size() > 1)
        return Refusal{501, "not_implemented", "framing",
                       "Transfer-Encoding \"" + list.front() + "\" is not supported (only chunked)"};
    return std::nullopt;
}

HttpRequest request_from_header(const bhttp::request_header<>& header) {
    HttpRequest request;
    request.method = std::string(header.method_string());
    request.target = std::string(header.target());
    for (const auto& f : header) request.headers[lower_name(f.name_string())] = std::string(f.value());
    return request;
}

void add_trailer_fields(HttpRequest& request, const bhttp::fields& fields) {
    for (const auto& f : fields) request.headers.try_emplace(lower_name(f.name_string()), std::string(f.value()));
}

bool split_target(HttpRequest& request) {
    auto url = boost::urls::parse_origin_form(request.target);
    if (!url) return false;
    request.path = std::string(url->path());
    for (auto p : url->params()) request.query[std::string(p.key)] = std::string(p.value);
    return true;
}

}  // namespace autoarr::server
