#include "http/url.h"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

namespace autoarr::http {

bool BaseUrl::is_loopback_address() const {
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(host, ec);
    return !ec && addr.is_loopback();
}

std::optional<BaseUrl> parse_base_url(std::string_view text, std::string& error) {
    auto r = boost::urls::parse_absolute_uri(text);
    if (!r) {
        error = "\"" + std::string(text) + "\" is not an absolute URL (" + r.error().message() + ")";
        return std::nullopt;
    }
    const auto& u = *r;
    BaseUrl out;
    std::string scheme(u.scheme());
    if (scheme == "https")
        out.tls = true;
    else if (scheme != "http") {
        error = "URL scheme \"" + scheme + "\" is not http or https";
        return std::nullopt;
    }
    if (!u.has_authority() || u.host().empty()) {
        error = "URL \"" + std::string(text) + "\" has no host";
        return std::nullopt;
    }
    if (u.has_userinfo()) {
        error = "URL must not carry credentials";
        return std::nullopt;
    }
    if (u.has_query() || u.has_fragment()) {
        error = "URL must not have a query or fragment";
        return std::nullopt;
    }
    out.host =
        u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.encoded_host_address()) : std::string(u.host());
    if (!out.host.empty() && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
    if (u.has_port()) {
        if (u.port().empty() || u.port_number() == 0) {
            error = "URL port \"" + std::string(u.port()) + "\" is not valid";
            return std::nullopt;
        }
        out.port = std::string(u.port());
    } else {
        out.port = out.tls ? "443" : "80";
    }
    out.path_prefix = std::string(u.encoded_path());
    while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();
    std::string host_for_header = u.host_type() == boost::urls::host_type::ipv6 ? "[" + out.host + "]" : out.host;
    out.host_header = host_for_header + ":" + out.port;
    return out;
}

}  // namespace autoarr::http
