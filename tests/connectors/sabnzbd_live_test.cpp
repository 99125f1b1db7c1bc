// A real SABnzbd (Debian's sabnzbdplus) started on loopback with a temporary
// config, misconfigured through its own set_config API, then audited live.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "audit/engine.h"
#include "connectors/live.h"
#include "support/sabnzbd_process.h"

namespace autoarr::connectors {
namespace {

namespace json = boost::json;
const std::string kKey = test::SabnzbdProcess::kKey;

class SabnzbdLive : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(sab_.started()) << sab_.error(); }

    void set(const std::string& section, const std::string& key, const std::string& value) {
        auto refused = sab_.set(section, key, value);
        ASSERT_EQ(refused, "") << "SABnzbd did not accept " << section << "." << key << "=" << value;
    }
    std::set<std::string> audit_ids() {
        auto stack = fetch_stack({{"sabnzbd", {url_, kKey}}});
        EXPECT_EQ(stack.apps[0].status, "ok") << stack.apps[0].error;
        static auto rules = audit::load_rules(audit::installed_rules_path());
        std::set<std::string> ids;
        for (const auto& f : audit::evaluate_rules(rules, stack.documents, "2026-11-25")) ids.insert(f.rule.id);
        return ids;
    }

    test::SabnzbdProcess sab_;
    std::string url_ = sab_.url();
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
