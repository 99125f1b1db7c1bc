// A request body that must be a JSON object, read once for every route.
#pragma once

#include <boost/json.hpp>
#include <optional>

#include "server/http_server.h"

namespace autoarr::server {

// The body as a JSON object, or nullopt once a 400 (not JSON) or a 422 (not
// an object) has been sent. empty_is_object: an empty body reads as {} (routes
// whose every field is optional). sp: where the parsed value lives.
std::optional<boost::json::object> json_object_body(const HttpRequest& req, ResponseWriter& w,
                                                    bool empty_is_object = false, boost::json::storage_ptr sp = {});

}  // namespace autoarr::server
