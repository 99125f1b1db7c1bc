// The fix routes of the real `autoarr serve`, over real sockets, against a
// Sonarr and Radarr that save whole resources (support/arr_sim.h); and a
// `autoarr fix --yes` killed with SIGKILL in the middle of its writes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <thread>

#include "support/arr_sim.h"
#include "support/child_process.h"
#include "support/run_process.h"
#include "support/serve_process.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kArr = std::string(AUTOARR_SOURCE_DIR) + "/tests/fixtures/arr/";

class FixRoutes : public ::testing::Test {
protected:
    ArrSim sonarr{"sonarr", kArr + "sonarr/misconfigured", kKey};
    ArrSim radarr{"radarr", kArr + "radarr/misconfigured", kKey};
    TempDir dir;
    std::vector<std::string> apps_env() const {
        return {"SONARR_URL=" + sonarr.url(), "SONARR_API_KEY=" + kKey, "RADARR_URL=" + radarr.url(),
                "RADARR_API_KEY=" + kKey};
    }
    std::unique_ptr<Serve> serve(const std::string& token) {
        auto env = apps_env();
        if (!token.empty()) env.push_back("AUTOARR_API_TOKEN=" + token);
        return std::make_unique<Serve>(dir.path() / "autoarr.db", env,
                                       std::vector<std::string>{"--no-builtin-plugins"});
    }
    static std::string live_audit(Serve& s, std::vector<http::Header> auth) {
        auto a = s.post("/api/v1/audits", R"({"source": "live"})", auth);
        EXPECT_EQ(a.status, 201) << a.body;
        return std::string(a.json().at("audit_id").as_string());
    }
};

TEST_F(FixRoutes, WritingNeedsTheTokenEvenOnLoopback) {
    auto s = serve("");
    const std::string id = live_audit(*s, {});
    auto dry = s->post("/api/v1/audits/" + id + "/fixes", R"({"rules": ["SON-STO-01"]})");
    ASSERT_EQ(dry.status, 200) << dry.body;  // a dry run changes nothing: allowed
    EXPECT_EQ(dry.json().at("apps").at(0).at("changes").at(0).at("setting"),
              "config/mediamanagement.copyUsingHardlinks");
    auto apply = s->post("/api/v1/audits/" + id + "/fixes", R"({"rules": ["SON-STO-01"], "dry_run": false})");
    EXPECT_EQ(apply.status, 403);
    EXPECT_NE(apply.body.find("AUTOARR_API_TOKEN"), std::string::npos) << apply.body;
    EXPECT_EQ(sonarr.puts(), 0u);
    EXPECT_EQ(s->post("/api/v1/changes/cs_x/rollback", "").status, 403);
}

TEST_F(FixRoutes, ApplyListReadAndRollBackAChangeSet) {
    auto s = serve("sekrit");
    const std::vector<http::Header> auth{{"authorization", "Bearer sekrit"}};
    const std::string id = live_audit(*s, auth);
    const json::value mm = sonarr.resource("config/mediamanagement");
    auto r =
        s->post("/api/v1/audits/" + id + "/fixes", R"({"rules": ["SON-STO-01", "RAD-Q-02"], "dry_run": false})", auth);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json().at("change_set").at("state"), "applied");
    EXPECT_EQ(r.json().at("fixed").as_array().size(), 2u) << r.body;
    const std::string set(r.json().at("change_set").at("id").as_string());
    EXPECT_EQ(sonarr.resource("config/mediamanagement").at("copyUsingHardlinks"), json::value(true));

    auto list = s->get("/api/v1/changes", auth);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json().at("changes").at(0).at("id"), json::value(set));
    EXPECT_EQ(list.json().at("changes").at(0).at("audit_id"), json::value(id));
    auto one = s->get("/api/v1/changes/" + set, auth);
    ASSERT_EQ(one.status, 200);
    EXPECT_EQ(one.json().at("fields").as_array().size(), 2u);
    EXPECT_EQ(s->get("/api/v1/changes/cs_nope", auth).status, 404);

    auto back = s->post("/api/v1/changes/" + set + "/rollback", "", auth);
    ASSERT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(back.json().at("change_set").at("state"), "rolled_back");
    EXPECT_EQ(sonarr.resource("config/mediamanagement"), mm);
    EXPECT_EQ(s->post("/api/v1/changes/" + set + "/rollback", "", auth).status, 409);
}

TEST_F(FixRoutes, BadRequestsAreClearErrors) {
    auto s = serve("sekrit");
    const std::vector<http::Header> auth{{"authorization", "Bearer sekrit"}};
    const std::string id = live_audit(*s, auth);
    auto post = [&](const std::string& path, const std::string& body) { return s->post(path, body, auth); };
    EXPECT_EQ(post("/api/v1/audits/aud_nope/fixes", "").status, 404);
    EXPECT_EQ(post("/api/v1/audits/" + id + "/fixes", "{").status, 400);
    auto bad = post("/api/v1/audits/" + id + "/fixes", R"({"dry_run": "no"})");
    EXPECT_EQ(bad.status, 422);
    EXPECT_NE(bad.body.find("\\\"dry_run\\\" must be true or false"), std::string::npos) << bad.body;
    auto unknown = post("/api/v1/audits/" + id + "/fixes", R"({"rules": ["SAB-NOPE-1"]})");
    EXPECT_EQ(unknown.status, 422);
    EXPECT_NE(unknown.body.find("SAB-NOPE-1 is not a finding of this audit"), std::string::npos) << unknown.body;
    EXPECT_EQ(post("/api/v1/audits/" + id + "/fixes", R"({"severity": "urgent"})").status, 422);
    EXPECT_EQ(post("/api/v1/audits/" + id + "/fixes", R"({"colour": 1})").status, 422);
    EXPECT_EQ(s->get("/api/v1/audits/" + id + "/fixes", auth).status, 405);
}

TEST_F(FixRoutes, AKillMidApplyLeavesARecordThatRollbackRestores) {
    const json::value host = sonarr.resource("config/host");
    const json::value mm = sonarr.resource("config/mediamanagement");
    sonarr.delay_put(2, 4s);  // the second write is stored, then its answer waits (killed meanwhile)
    const auto db = (dir.path() / "crash.db").string();
    std::vector<std::string> argv = {"env", "-u", "SABNZBD_URL"};
    for (const auto& e : apps_env()) argv.push_back(e);
    for (const char* a : {AUTOARR_BINARY, "fix", "SON-STO-01", "SON-SEC-06", "SON-REL-10", "--yes", "--db"})
        argv.emplace_back(a);
    argv.push_back(db);
    ChildProcess fix(argv, (dir.path() / "fix.log").string());
    for (int i = 0; i < 600 && sonarr.puts() < 2; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(sonarr.puts(), 2u) << read_file(dir.path() / "fix.log");
    fix.signal(SIGKILL);
    fix.stop();

    auto env = [&] {
        std::string s = "env -u SABNZBD_URL";
        for (const auto& e : apps_env()) s += " " + e;
        return s + " " + shell_quote(AUTOARR_BINARY) + " ";
    }();
    auto listed = run_process(env + "changes --format json --db " + shell_quote(db));
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    json::value set = json::parse(listed.out).at("changes").at(0);
    EXPECT_EQ(set.at("state"), "applying");
    std::vector<std::string> states;
    for (const auto& f : set.at("fields").as_array()) states.emplace_back(f.at("state").as_string());
    // High first: certificateValidation written; copyUsingHardlinks being written; the low one not begun.
    EXPECT_EQ(states, (std::vector<std::string>{"written", "writing", "planned"})) << listed.out;

    auto back =
        run_process(env + "rollback " + std::string(set.at("id").as_string()) + " --yes --db " + shell_quote(db));
    EXPECT_EQ(back.exit_code, 0) << back.out << back.err;
    EXPECT_EQ(sonarr.resource("config/host"), host);
    EXPECT_EQ(sonarr.resource("config/mediamanagement"), mm);
}

}  // namespace
}  // namespace autoarr::test
