// Fixing a real SABnzbd (Debian's sabnzbdplus) with the real `autoarr`
// binary, all the way: audit, dry-run diff, apply three fixes, the re-audit
// shows them gone, rollback restores the values byte for byte, and a value
// changed behind AutoArr's back is refused.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/run_process.h"
#include "support/sabnzbd_process.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;

class SabnzbdFix : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(sab_.started()) << sab_.error();
        // Three misconfigurations a user can make from any client.
        ASSERT_EQ(sab_.set("misc", "safe_postproc", "0"), "");
        ASSERT_EQ(sab_.set("misc", "enable_https_verification", "0"), "");
        ASSERT_EQ(sab_.set("misc", "allow_old_ssl_tls", "1"), "");
        ASSERT_EQ(sab_.set("misc", "pre_check", "1"), "");
    }
    ProcessResult autoarr(const std::string& args) {
        return run_process("env -u SONARR_URL -u RADARR_URL SABNZBD_URL=" + sab_.url() +
                           " SABNZBD_API_KEY=" + SabnzbdProcess::kKey + " " + shell_quote(AUTOARR_BINARY) +
                           " --log-level warn " + args + " --db " + shell_quote((db_.path() / "a.db").string()));
    }
    std::string misc() {
        return json::serialize(json::parse(sab_.call("mode=get_config&section=misc")).at("config").at("misc"));
    }

    SabnzbdProcess sab_;
    TempDir db_;
};

TEST_F(SabnzbdFix, AuditDiffApplyReauditRollbackAndAConcurrentChangeRefused) {
    const std::string before = misc();
    const std::string rules = "SAB-REL-01 SAB-SEC-04 SAB-SEC-07";

    // The dry run: the diff and the exact calls; nothing is written.
    auto dry = autoarr("fix " + rules + " --format json");
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    json::value plan = json::parse(dry.out);
    EXPECT_EQ(plan.at("dry_run"), json::value(true));
    const auto& changes = plan.at("apps").at(0).at("changes").as_array();
    ASSERT_EQ(changes.size(), 3u) << dry.out;
    std::set<std::string> calls;
    for (const auto& c : changes) calls.insert(std::string(c.at("call").as_string()));
    EXPECT_TRUE(calls.count("GET /api?mode=set_config&section=misc&keyword=safe_postproc&value=1")) << dry.out;
    EXPECT_TRUE(calls.count("GET /api?mode=set_config&section=misc&keyword=allow_old_ssl_tls&value=0")) << dry.out;
    EXPECT_EQ(dry.out.find(SabnzbdProcess::kKey), std::string::npos);  // no key in the diff
    EXPECT_EQ(misc(), before);
    auto text = autoarr("fix " + rules);
    EXPECT_NE(text.out.find("misc.safe_postproc: 0 -> 1"), std::string::npos) << text.out;

    // Apply: written, read back, and gone on the re-audit.
    auto applied = autoarr("fix " + rules + " --yes --format json");
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    json::value result = json::parse(applied.out);
    std::set<std::string> fixed;
    for (const auto& id : result.at("fixed").as_array()) fixed.insert(std::string(id.as_string()));
    EXPECT_EQ(fixed, (std::set<std::string>{"SAB-REL-01", "SAB-SEC-04", "SAB-SEC-07"})) << applied.out;
    EXPECT_TRUE(result.at("left").as_array().empty());
    const std::string set_id(result.at("change_set").at("id").as_string());
    json::value now = json::parse(misc());
    EXPECT_EQ(json::serialize(now.at("safe_postproc")), "1");
    EXPECT_EQ(json::serialize(now.at("allow_old_ssl_tls")), "0");
    EXPECT_EQ(json::serialize(now.at("pre_check")), "1");  // not chosen: untouched

    // The change set is listed, newest first, with before and after.
    auto listed = autoarr("changes --format json");
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    json::value list = json::parse(listed.out);
    ASSERT_FALSE(list.at("changes").as_array().empty());
    EXPECT_EQ(list.at("changes").at(0).at("id"), json::value(set_id));
    EXPECT_EQ(list.at("changes").at(0).at("fields").as_array().size(), 3u);

    // Rollback: the values are restored byte for byte.
    auto back = autoarr("rollback " + set_id + " --yes --format json");
    ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
    EXPECT_EQ(misc(), before);
    auto again = autoarr("rollback " + set_id + " --yes");
    EXPECT_EQ(again.exit_code, 2);
    EXPECT_NE(again.err.find("already rolled back"), std::string::npos) << again.err;

    // A value changed behind AutoArr's back between the audit and the write is refused.
    auto first = autoarr("fix SAB-PERF-03 --format json");  // plans from a stored audit next
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string audit_id(json::parse(first.out).at("audit_id").as_string());
    ASSERT_EQ(sab_.set("misc", "pre_check", "2"), "");  // changed since that audit
    auto refused = autoarr("fix SAB-PERF-03 --audit " + audit_id + " --yes --format json");
    EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
    json::value r = json::parse(refused.out);
    EXPECT_EQ(r.at("fields").at(0).at("state"), json::value("refused")) << refused.out;
    EXPECT_NE(std::string(r.at("fields").at(0).at("error").as_string()).find("changed since the audit"),
              std::string::npos);
    EXPECT_EQ(json::serialize(json::parse(misc()).at("pre_check")), "2");  // not overwritten
}

TEST_F(SabnzbdFix, AWrongKeyOrAMissingAppIsAClearErrorAndNothingIsWritten) {
    const std::string before = misc();
    auto r = run_process("env -u SONARR_URL -u RADARR_URL SABNZBD_URL=" + sab_.url() +
                         " SABNZBD_API_KEY=ffffffffffffffffffffffffffffffff " + shell_quote(AUTOARR_BINARY) +
                         " fix --yes --db " + shell_quote((db_.path() / "b.db").string()));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("sabnzbd: the API key was refused"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("ffffffffffffffffffffffffffffffff"), std::string::npos);
    EXPECT_EQ(misc(), before);
    auto none = run_process("env -u SONARR_URL -u RADARR_URL -u SABNZBD_URL " + shell_quote(AUTOARR_BINARY) +
                            " fix --db " + shell_quote((db_.path() / "c.db").string()));
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("no applications configured"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace autoarr::test
