#include "server/json_body.h"

namespace autoarr::server {
namespace json = boost::json;

std::optional<json::object> json_object_body(const HttpRequest& req, ResponseWriter& w, bool empty_is_object,
                                             json::storage_ptr sp) {
    if (empty_is_object && req.body.empty()) return json::object(std::move(sp));
    json::error_code ec;
    json::value v = json::parse(req.body, ec, std::move(sp));
    if (ec) {
        w.send(HttpServer::error(400, "malformed_json", "the body is not valid JSON: " + ec.message()));
        return std::nullopt;
    }
    if (!v.is_object()) {
        w.send(HttpServer::error(422, "invalid_body", "the body must be a JSON object"));
        return std::nullopt;
    }
    return std::move(v.get_object());
}

}  // namespace autoarr::server
