// A real SABnzbd (Debian's sabnzbdplus) started on loopback with a temporary
// config, misconfigured through its own set_config API, then audited live.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <set>

#include "audit/engine.h"
#include "connectors/live.h"
#include "http/client.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace autoarr::connectors {
namespace {

namespace json = boost::json;
const std::string kKey = "0123456789abcdef0123456789abcdef";

uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

class SabnzbdLive : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(std::system("command -v sabnzbdplus >/dev/null"), 0)
            << "sabnzbdplus is not installed (scripts/setup.sh installs it)";
        port_ = free_port();
        url_ = "http://127.0.0.1:" + std::to_string(port_);
        auto ini = dir_.path() / "sabnzbd.ini";
        test::write_file(ini, "[misc]\napi_key = " + kKey +
                                  "\nnzb_key = fedcba9876543210fedcba9876543210\n"
                                  "host = 127.0.0.1\nport = " +
                                  std::to_string(port_) +
                                  "\n"
                                  "download_dir = " +
                                  (dir_.path() / "incomplete").string() +
                                  "\n"
                                  "complete_dir = " +
                                  (dir_.path() / "complete").string() + "\n");
        sab_ = std::make_unique<test::ChildProcess>(
            std::vector<std::string>{"sabnzbdplus", "-f", ini.string(), "-s", "127.0.0.1:" + std::to_string(port_),
                                     "-b", "0"},
            (dir_.path() / "sabnzbd.log").string());
        // Ready when the API answers (bounded: 30 s).
        for (int i = 0; i < 300; ++i) {
            if (call("mode=version").find("version") != std::string::npos) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL() << "SABnzbd did not start: " << test::read_file(dir_.path() / "sabnzbd.log");
    }

    std::string call(const std::string& query) {
        std::string why;
        http::Client c(*http::parse_base_url(url_, why));
        http::Request r;
        r.target = "/api?" + query + "&output=json&apikey=" + kKey;
        try {
            return c.fetch(r, std::chrono::steady_clock::now() + std::chrono::seconds(5), nullptr).second;
        } catch (const std::exception&) {
            return {};
        }
    }
    // set_config answers with the value now in force: check that it took.
    void set(const std::string& section, const std::string& key, const std::string& value) {
        auto answer = call("mode=set_config&section=" + section + "&keyword=" + key + "&value=" + value);
        auto now = json::parse(answer).at("config").at(section).at(key);
        std::string got = now.is_string() ? std::string(now.as_string()) : json::serialize(now);
        ASSERT_EQ(got, value) << "SABnzbd did not accept " << section << "." << key << "=" << value << ": " << answer;
    }
    std::set<std::string> audit_ids() {
        auto stack = fetch_stack({{"sabnzbd", {url_, kKey}}});
        EXPECT_EQ(stack.apps[0].status, "ok") << stack.apps[0].error;
        static auto rules = audit::load_rules(audit::default_rules_path());
        std::set<std::string> ids;
        for (const auto& f : audit::evaluate_rules(rules, stack.documents, "2026-11-25")) ids.insert(f.rule.id);
        return ids;
    }

    test::TempDir dir_;
    uint16_t port_ = 0;
    std::string url_;
    std::unique_ptr<test::ChildProcess> sab_;
};

TEST_F(SabnzbdLive, MisconfigurationsMadeThroughItsApiAreFound) {
    auto before = audit_ids();
    EXPECT_TRUE(before.count("SAB-VER-01"));  // Debian's 3.x is older than 4
    const char* planted[] = {"SAB-REL-01", "SAB-PERF-01", "SAB-SEC-04", "SAB-SEC-07",
                             "SAB-SEC-10", "SAB-PERF-03", "SAB-PERF-08"};
    for (const char* id : planted) EXPECT_FALSE(before.count(id)) << id << " fired on a fresh SABnzbd";

    // inet_exposure is not settable through the API (SABnzbd protects it), so
    // these are the misconfigurations a user can make from any client.
    set("misc", "safe_postproc", "0");
    set("misc", "cache_limit", "64M");
    set("misc", "enable_https_verification", "0");
    set("misc", "allow_old_ssl_tls", "1");
    set("misc", "permissions", "777");
    set("misc", "pre_check", "1");
    set("logging", "log_level", "2");

    auto after = audit_ids();
    for (const char* id : planted) EXPECT_TRUE(after.count(id)) << id << " did not fire after set_config";
}

TEST_F(SabnzbdLive, AWrongKeyIsAClearError) {
    auto stack = fetch_stack({{"sabnzbd", {url_, "wrongwrongwrongwrongwrongwrong00"}}});
    EXPECT_EQ(stack.apps[0].status, "error");
    EXPECT_NE(stack.apps[0].error.find("API key was refused (HTTP 403: API Key Incorrect"), std::string::npos)
        << stack.apps[0].error;
}

}  // namespace
}  // namespace autoarr::connectors
