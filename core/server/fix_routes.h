// The fix routes (docs/api.md, "Fixes"): POST /api/v1/audits/{id}/fixes
// (a dry run unless "dry_run": false), GET /api/v1/changes,
// GET /api/v1/changes/{id} and POST /api/v1/changes/{id}/rollback.
//
// Writing to the stack always needs the API token, on loopback too: with no
// token configured these routes refuse with 403 and say how to set one, so a
// web page open in a browser on the same machine can never change a stack.
#pragma once

#include <mutex>
#include <string>

#include "server/api.h"

namespace autoarr::server {

class FixRoutes {
public:
    explicit FixRoutes(ApiContext& c) : c_(c) {}

    // True when `path` is one of these routes; then the request was answered
    // and `route` names it for the metrics.
    bool handle(const HttpRequest& req, ResponseWriter& w, std::string& route);

    // The fix routes that write wait on the applications: worker slots.
    static bool may_block(const HttpRequest& req);

private:
    void post_fixes(const HttpRequest& req, const std::string& audit_id, ResponseWriter& w);
    void rollback(const HttpRequest& req, const std::string& id, ResponseWriter& w);
    bool refuse_without_token(ResponseWriter& w);

    ApiContext& c_;
    // writing_mutex_ guards the applications' configuration: one apply or
    // rollback at a time, so two runs never interleave their writes.
    std::mutex writing_mutex_;
};

}  // namespace autoarr::server
