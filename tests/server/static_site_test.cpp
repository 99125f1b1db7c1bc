// The web UI's files through the real transport and the API's routing, over
// loopback sockets: headers, encodings, deep links, fallbacks, bad paths.
#include "server/static_site.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "server/api.h"
#include "support/loopback_http.h"
#include "support/raw_http.h"
#include "support/temp_dir.h"

namespace autoarr::server {
namespace {

namespace json = boost::json;
using test::TempDir;

void put(const std::filesystem::path& p, const std::string& bytes) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

const std::string kShell = "<!doctype html><title>AutoArr</title><script type=module src=/assets/app-1a2b3c4d.js>";

class StaticSiteTest : public ::testing::Test {
protected:
    void SetUp() override {
        web_ = root_.path() / "web";
        put(web_ / "index.html", kShell);
        put(web_ / "index.html.gz", "GZ:index");
        put(web_ / "assets/app-1a2b3c4d.js", "console.log('app')");
        put(web_ / "assets/app-1a2b3c4d.js.gz", "GZ:app");
        put(web_ / "assets/app-1a2b3c4d.js.br", "BR:app");
        put(web_ / "assets/style-9f8e7d6c.css", "body{}");
        put(web_ / "assets/orphan.js.br", "BR:nothing");  // a copy of no file: never served
        put(root_.path() / "secret.txt", "not for the web");
    }
    void start(bool with_site = true) {
        if (with_site) {
            site_ = StaticSite::load(web_);
            context_.web = &*site_;
        }
        context_.web_missing = "the web UI is not installed: looked in /nowhere";
        ServerOptions o;
        o.port = 0;
        o.workers = 1;
        server_ = std::make_unique<HttpServer>(o, make_api(context_));
        server_->start();
    }
    std::pair<http::ResponseHead, std::string> get(const std::string& target, std::vector<http::Header> h = {}) {
        return test::loopback_request(server_->port(), "GET", target, "", std::move(h));
    }
    static std::string header(const http::ResponseHead& h, std::string_view name) {
        const std::string* v = h.find(name);
        return v ? *v : std::string();
    }

    TempDir root_;
    std::filesystem::path web_;
    std::optional<StaticSite> site_;
    ApiContext context_;
    std::unique_ptr<HttpServer> server_;
};

TEST_F(StaticSiteTest, EveryViewsPathIsAnsweredWithTheAppShell) {
    start();
    for (const char* path : {"/", "/index.html", "/audits/latest", "/audits/aud_20261201T000000Z_1", "/history",
                             "/history?from=a&to=b", "/providers", "/fixes", "/chat", "/no/such/view"}) {
        auto [head, body] = get(path, {{"accept-encoding", "identity"}});
        EXPECT_EQ(head.status, 200) << path;
        EXPECT_EQ(body, kShell) << path;
        EXPECT_EQ(header(head, "content-type"), "text/html; charset=utf-8") << path;
        EXPECT_EQ(header(head, "cache-control"), "no-cache") << path;
        EXPECT_EQ(header(head, "content-security-policy"), kContentSecurityPolicy) << path;
        EXPECT_EQ(header(head, "x-content-type-options"), "nosniff") << path;
        EXPECT_EQ(header(head, "x-frame-options"), "DENY") << path;
    }
}

TEST_F(StaticSiteTest, HashedAssetsAreImmutableAndComePrecompressedAsTheClientAccepts) {
    start();
    struct Case {
        const char* accept;
        const char* body;
        const char* encoding;
    };
    for (const Case& c : {Case{"gzip, deflate, br", "BR:app", "br"}, Case{"gzip", "GZ:app", "gzip"},
                          Case{"br;q=0, gzip;q=0.5", "GZ:app", "gzip"}, Case{"BR", "BR:app", "br"},
                          Case{"*", "BR:app", "br"}, Case{"*, br;q=0", "GZ:app", "gzip"},
                          Case{"identity", "console.log('app')", ""}, Case{"gzip;q=0", "console.log('app')", ""}}) {
        auto [head, body] = get("/assets/app-1a2b3c4d.js", {{"accept-encoding", c.accept}});
        EXPECT_EQ(head.status, 200);
        EXPECT_EQ(body, c.body) << c.accept;
        EXPECT_EQ(header(head, "content-encoding"), c.encoding) << c.accept;
        EXPECT_EQ(header(head, "vary"), "Accept-Encoding");
        EXPECT_EQ(header(head, "cache-control"), "public, max-age=31536000, immutable");
        EXPECT_EQ(header(head, "content-type"), "text/javascript; charset=utf-8");
    }
    auto [css_head, css] = get("/assets/style-9f8e7d6c.css", {{"accept-encoding", "br, gzip"}});
    EXPECT_EQ(css, "body{}");  // no compressed copy shipped: sent as it is
    EXPECT_EQ(header(css_head, "content-encoding"), "");
    EXPECT_EQ(header(css_head, "vary"), "");
    EXPECT_EQ(header(css_head, "content-type"), "text/css; charset=utf-8");
    auto [shell_head, shell] = get("/history", {{"accept-encoding", "gzip"}});
    EXPECT_EQ(shell, "GZ:index");
    EXPECT_EQ(header(shell_head, "cache-control"), "no-cache");
}

TEST_F(StaticSiteTest, AMissingAssetIsA404NotTheShell) {
    start();
    for (const char* path : {"/assets/app-00000000.js", "/assets/orphan.js", "/assets/orphan.js.br", "/assets/"}) {
        auto [head, body] = get(path);
        EXPECT_EQ(head.status, 404) << path;
        EXPECT_EQ(json::parse(body).at("error").at("code"), "not_found") << path;
    }
}

TEST_F(StaticSiteTest, ApiErrorsStayJsonBesideTheUi) {
    start();
    for (const char* path : {"/api/v1/nope", "/api/", "/api/v2/audits", "/api/assets/app-1a2b3c4d.js"}) {
        auto [head, body] = get(path);
        EXPECT_EQ(head.status, 404) << path;
        EXPECT_EQ(header(head, "content-type"), "application/json") << path;
        EXPECT_EQ(json::parse(body).at("error").at("code"), "not_found") << path;
    }
    auto [head, body] = test::loopback_request(server_->port(), "POST", "/history", "{}");
    EXPECT_EQ(head.status, 405);
    EXPECT_EQ(header(head, "allow"), "GET");
    EXPECT_EQ(json::parse(body).at("error").at("code"), "method_not_allowed");
}

TEST_F(StaticSiteTest, NoPathReachesAFileOutsideTheDirectory) {
    start();
    for (const char* target :
         {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt",
          "/..%2fsecret.txt", "//secret.txt", "/assets/..%5c..%5csecret.txt"}) {
        test::RawSocket c(server_->port());
        ASSERT_TRUE(c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
        const std::string answer = c.read_until_closed();
        EXPECT_EQ(answer.find("not for the web"), std::string::npos) << target;
        EXPECT_TRUE(answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.1 404") ||
                    answer.starts_with("HTTP/1.1 400"))
            << target << ": " << answer.substr(0, 40);
    }
}

TEST_F(StaticSiteTest, WithoutTheUiItsPathsSayWhy) {
    start(false);
    auto [head, body] = get("/");
    EXPECT_EQ(head.status, 404);
    EXPECT_EQ(json::parse(body).at("error").at("code"), "no_web_ui");
    EXPECT_NE(body.find("looked in /nowhere"), std::string::npos);
    EXPECT_EQ(json::parse(get("/api/v1/nope").second).at("error").at("code"), "not_found");
}

TEST_F(StaticSiteTest, ADirectoryThatCannotServeIsRefusedWithTheReason) {
    auto reason = [](const std::filesystem::path& dir) {
        try {
            StaticSite::load(dir);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("(loaded)");
    };
    EXPECT_NE(reason(root_.path() / "nope").find("does not exist"), std::string::npos);
    EXPECT_NE(reason(root_.path() / "nope").find((root_.path() / "nope").string()), std::string::npos);
    std::filesystem::remove(web_ / "index.html");
    EXPECT_NE(reason(web_).find("has no index.html"), std::string::npos);
    EXPECT_NE(reason(root_.path() / "secret.txt").find("not a directory"), std::string::npos);
}

TEST(AcceptEncoding, NamesQualitiesAndWildcards) {
    EXPECT_TRUE(accepted_encodings("gzip, br").brotli);
    EXPECT_TRUE(accepted_encodings(" GZIP ;q=1.0").gzip);
    EXPECT_FALSE(accepted_encodings("gzip;q=0").gzip);
    EXPECT_FALSE(accepted_encodings("gzip; q=0.000").gzip);
    EXPECT_FALSE(accepted_encodings("gzip;q=x").gzip);
    EXPECT_FALSE(accepted_encodings("").gzip);
    EXPECT_FALSE(accepted_encodings("brotli, xgzip").brotli);
    EXPECT_FALSE(accepted_encodings("brotli, xgzip").gzip);
    EXPECT_TRUE(accepted_encodings("*").gzip);
    EXPECT_FALSE(accepted_encodings("*;q=0").gzip);
}

}  // namespace
}  // namespace autoarr::server
