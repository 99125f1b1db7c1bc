// The web UI's built files (docs/ui.md), read into memory once at start and
// served with the headers a browser needs: a strict Content-Security-Policy,
// `immutable` for the content-hashed files under assets/, `no-cache` for the
// rest (index.html), and the precompressed .br/.gz copy the client accepts.
// Every other path under the UI is answered with the app shell (index.html),
// so a deep link (/audits/latest, /history, ...) opens its view. Lookups are
// by exact path in the files read at start: no request touches the disk.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "server/http_server.h"

namespace autoarr::server {

// The policy every UI answer carries: only this origin's scripts, styles,
// images and API; no inline script, no frames, no outside fonts or CDNs.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Precompressed copies a client may take, from its Accept-Encoding header.
struct AcceptedEncodings {
    bool brotli = false;
    bool gzip = false;
};
AcceptedEncodings accepted_encodings(std::string_view accept_encoding);

class StaticSite {
public:
    // Reads every regular file under `dir`. Throws std::runtime_error naming
    // the directory and what is wrong: missing, no index.html, too large.
    static StaticSite load(const std::filesystem::path& dir);

    // A GET for a path outside /api/: the file, the app shell for any other
    // path, or 404 for a missing file under /assets/ (a stale hashed name
    // must not get HTML where a script was expected).
    HttpResponse answer(const HttpRequest& request) const;

    const std::filesystem::path& dir() const { return dir_; }
    std::size_t file_count() const { return files_.size(); }

    static constexpr std::size_t kMaxTotalBytes = 64 * 1024 * 1024;  // a UI is a few hundred KB
    static constexpr std::size_t kMaxFiles = 4096;

private:
    struct File {
        std::string content_type;
        std::string identity, gzip, brotli;  // gzip/brotli: empty when not shipped
        bool immutable = false;              // content-hashed name under assets/
    };
    HttpResponse respond(const File& file, const HttpRequest& request) const;

    std::filesystem::path dir_;
    std::map<std::string, File, std::less<>> files_;  // by URL path: "/index.html", "/assets/app-1a2b.js"
};

}  // namespace autoarr::server
