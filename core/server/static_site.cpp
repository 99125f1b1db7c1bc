#include "server/static_site.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "util/strings.h"

namespace autoarr::server {

namespace {

std::string content_type_for(std::string_view name) {
    static const std::pair<std::string_view, const char*> kTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
        {".map", "application/json"},
    };
    for (const auto& [ext, type] : kTypes)
        if (name.ends_with(ext)) return type;
    return "application/octet-stream";
}

std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A coding is accepted when named (or "*") without q=0.
bool accepts(std::string_view header, std::string_view coding) {
    bool star = false, named = false, named_refused = false;
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        const auto semi = item.find(';');
        const std::string name = util::lower(util::trim(item.substr(0, semi)));
        bool refused = false;
        if (semi != std::string_view::npos) {
            std::string params = util::lower(util::trim(item.substr(semi + 1)));
            params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
            if (params.starts_with("q=")) {
                const auto q = util::parse_number(params.substr(2));
                refused = !q || *q <= 0;
            }
        }
        if (name == coding) {
            named = true;
            named_refused = refused;
        } else if (name == "*" && !refused) {
            star = true;
        }
    }
    return named ? !named_refused : star;
}

}  // namespace

AcceptedEncodings accepted_encodings(std::string_view accept_encoding) {
    return {accepts(accept_encoding, "br"), accepts(accept_encoding, "gzip")};
}

StaticSite StaticSite::load(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw std::runtime_error("the web UI directory " + dir.string() + " does not exist or is not a directory");
    StaticSite site;
    site.dir_ = dir;
    std::map<std::string, std::string> compressed;  // "/x.js.gz" -> bytes
    std::size_t total = 0, count = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        if (++count > kMaxFiles)
            throw std::runtime_error("the web UI directory " + dir.string() + " holds more than " +
                                     std::to_string(kMaxFiles) + " files; is it the right directory?");
        std::string url = "/" + std::filesystem::relative(it->path(), dir).generic_string();
        std::string bytes = read_bytes(it->path());
        total += bytes.size();
        if (total > kMaxTotalBytes)
            throw std::runtime_error("the web UI directory " + dir.string() + " holds more than " +
                                     std::to_string(kMaxTotalBytes / (1024 * 1024)) +
                                     " MiB; is it the right directory?");
        if (url.ends_with(".gz") || url.ends_with(".br")) {
            compressed.emplace(std::move(url), std::move(bytes));
            continue;
        }
        File f;
        f.content_type = content_type_for(url);
        f.identity = std::move(bytes);
        f.immutable = url.starts_with("/assets/");
        site.files_.emplace(std::move(url), std::move(f));
    }
    if (ec) throw std::runtime_error("cannot list the web UI directory " + dir.string() + ": " + ec.message());
    for (auto& [url, bytes] : compressed) {
        auto it = site.files_.find(std::string_view(url).substr(0, url.size() - 3));
        if (it == site.files_.end()) continue;  // a compressed copy of nothing served: ignored
        (url.ends_with(".gz") ? it->second.gzip : it->second.brotli) = std::move(bytes);
    }
    if (!site.files_.contains("/index.html"))
        throw std::runtime_error("the web UI directory " + dir.string() +
                                 " has no index.html (build it: cmake --build <dir> --target autoarr_web)");
    return site;
}

HttpResponse StaticSite::answer(const HttpRequest& request) const {
    const std::string& path = request.path;
    if (auto it = files_.find(path); it != files_.end()) return respond(it->second, request);
    if (path.starts_with("/assets/")) {
        auto r = HttpServer::error(404, "not_found", "no file " + path + " in the web UI");
        r.headers.emplace_back("Cache-Control", "no-cache");
        return r;
    }
    return respond(files_.find("/index.html")->second, request);  // a view's path: the app shell routes it
}

HttpResponse StaticSite::respond(const File& file, const HttpRequest& request) const {
    HttpResponse r;
    r.content_type = file.content_type;
    const auto accept = request.headers.find("accept-encoding");
    const auto ok = accepted_encodings(accept == request.headers.end() ? "" : accept->second);
    if (ok.brotli && !file.brotli.empty()) {
        r.body = file.brotli;
        r.headers.emplace_back("Content-Encoding", "br");
    } else if (ok.gzip && !file.gzip.empty()) {
        r.body = file.gzip;
        r.headers.emplace_back("Content-Encoding", "gzip");
    } else {
        r.body = file.identity;
    }
    if (!file.gzip.empty() || !file.brotli.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
    r.headers.emplace_back("Cache-Control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
    return r;
}

}  // namespace autoarr::server
