// The store refuses or reports what would otherwise fail later: a damaged
// page (found at open; --recover copies what can be read), a directory it
// cannot write, a read-only file and a full disk (/health/ready is 503).
// Real files, real damage, real permissions: permission tests run the real
// binary as the unprivileged user `nobody` (setpriv), because root writes
// through any mode bits; the full disk is the kernel's own file-size limit
// (prlimit --fsize), which fails writes exactly where a full disk would.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include "store/store.h"
#include "support/child_process.h"
#include "support/loopback_http.h"
#include "support/run_process.h"
#include "support/temp_dir.h"
#include "util/log.h"

namespace autoarr::test {
namespace {

using namespace std::chrono_literals;

constexpr int kAudits = 300;

std::string audit_id(int i) {
    char id[16];
    std::snprintf(id, sizeof id, "audit-%04d", i);
    return id;
}

// Audits of about 1.5 KB each (two to a 4 KiB page), with one finding each. The store creates the
// schema; the rows go in one transaction (Store::save_audit fsyncs each).
void fill(const std::filesystem::path& db, int count = kAudits) {
    { store::Store schema(db.string()); }
    store::Database d(db.string());
    store::Transaction t(d);
    auto insert = d.prepare(
        "INSERT INTO audits(id, created_at, mode, provider, score, findings, report_json) "
        "VALUES(?, ?, 'rules-only', '', 50, 0, ?)");
    auto finding = d.prepare("INSERT INTO findings(audit_id, rule_id, severity) VALUES(?, 'SAB-001', 'high')");
    for (int i = 0; i < count; ++i) {
        insert.reset()
            .bind(1, audit_id(i))
            .bind(2, "2026-12-01T00:00:" + std::to_string(10000 + i) + "Z")
            .bind(3, "{\"id\":\"" + audit_id(i) + "\",\"pad\":\"" + std::string(1500, 'x') + "\"}")
            .run();
        finding.reset().bind(1, audit_id(i)).run();
    }
    t.commit();
}  // closing the last connection checkpoints the WAL into the file

// Overwrites, with random bytes, the table-leaf page of `audits` that holds
// the audit with this id; returns the page number.
int64_t damage_page_holding(const std::filesystem::path& db, const std::string& id) {
    std::string bytes = read_file(db);
    const std::size_t page = 4096;
    for (std::size_t at = page; at + page <= bytes.size(); at += page) {
        std::string_view p(bytes.data() + at, page);
        if (p[0] != 0x0D || p.find("{\"id\":\"" + id + "\"") == std::string_view::npos) continue;  // 0x0D: table leaf
        std::mt19937 rng(7);
        for (std::size_t i = 0; i < page; ++i) bytes[at + i] = static_cast<char>(rng());
        std::ofstream(db, std::ios::binary | std::ios::trunc) << bytes;
        return static_cast<int64_t>(at / page) + 1;
    }
    ADD_FAILURE() << "no table-leaf page holds " << id;
    return 0;
}

class StoreIntegrityTest : public ::testing::Test {
protected:
    void SetUp() override { log::set_threshold(log::Level::error); }
    TempDir dir_;
    std::filesystem::path db_ = dir_.path() / "autoarr.db";
};

TEST_F(StoreIntegrityTest, ADamagedMiddlePageIsRefusedAtOpenNamingThePathAndTheCause) {
    fill(db_);
    const int64_t page = damage_page_holding(db_, audit_id(kAudits / 2));
    ASSERT_GT(page, 2);
    try {
        store::Store s(db_.string());
        FAIL() << "a damaged database opened";
    } catch (const store::DamagedDatabase& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("the database " + db_.string() + " is damaged"), std::string::npos) << what;
        EXPECT_NE(what.find("quick_check"), std::string::npos) << what;
    }
}

TEST_F(StoreIntegrityTest, RecoveryCopiesEveryReadableRowAndKeepsTheDamagedFileUntouched) {
    fill(db_);
    damage_page_holding(db_, audit_id(kAudits / 2));
    const std::string damaged = read_file(db_);

    const auto report = store::Store::recover(db_.string());
    EXPECT_EQ(read_file(report.kept_as), damaged);  // kept, byte for byte
    ASSERT_FALSE(report.lost.empty());
    EXPECT_NE(report.lost[0].find("audits: rowid "), std::string::npos) << report.lost[0];

    int64_t findings = 0;
    {
        store::Database check(db_.string());
        auto q = check.prepare("SELECT count(*) FROM findings");
        q.step();
        findings = q.integer(0);
    }
    store::Store s(db_.string());  // opens: sound again
    const int64_t n = s.audit_count();
    EXPECT_EQ(findings, n);  // the findings of the lost audits went with them
    EXPECT_EQ(n + findings, report.rows_copied);
    EXPECT_NE(report.lost.back().find(std::to_string(kAudits - n) + " rows whose parent row was lost"),
              std::string::npos)
        << report.lost.back();
    EXPECT_LT(n, kAudits);
    EXPECT_GE(n, kAudits - 4);  // only the rows on the damaged page are gone
    EXPECT_FALSE(s.audit(audit_id(kAudits / 2)).has_value());
    for (int i : {0, kAudits / 2 - 3, kAudits / 2 + 3, kAudits - 1}) {
        auto a = s.audit(audit_id(i));
        ASSERT_TRUE(a.has_value()) << audit_id(i);
        EXPECT_NE(a->report_json.find(audit_id(i)), std::string::npos);
    }
    EXPECT_EQ(s.audits(1000, 0).size(), static_cast<std::size_t>(n));  // the list that failed with a 500
    EXPECT_EQ(s.readiness(), "");
}

// The first page holds the schema: nothing can be read, so nothing is
// replaced. The damaged file is put back under its own name, unchanged.
TEST_F(StoreIntegrityTest, RecoveryThatCannotReadTheSchemaLeavesTheFileAsItWas) {
    fill(db_);
    std::string bytes = read_file(db_);
    for (std::size_t i = 0; i < 4096; ++i) bytes[i] = static_cast<char>(0xA5);
    std::ofstream(db_, std::ios::binary | std::ios::trunc) << bytes;
    EXPECT_THROW(store::Store s(db_.string()), store::DamagedDatabase);
    try {
        store::Store::recover(db_.string());
        FAIL() << "recovered a database without a schema";
    } catch (const store::SqliteError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot recover " + db_.string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(db_), bytes);
    for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
        EXPECT_EQ(e.path().filename().string().find(".recovering"), std::string::npos) << e.path();
}

// Damage that appears while the service runs: the read that meets it fails,
// and the next readiness check runs quick_check and stays unready.
TEST_F(StoreIntegrityTest, DamageMetAfterStartMakesTheStoreUnready) {
    fill(db_, 1500);  // larger than SQLite's 2 MiB page cache: early pages are read from the file again
    store::Store s(db_.string());
    ASSERT_EQ(s.readiness(), "");
    damage_page_holding(db_, audit_id(100));
    EXPECT_THROW(s.audit(audit_id(100)), store::SqliteError);
    std::this_thread::sleep_for(1100ms);  // past the once-a-second probe
    EXPECT_NE(s.readiness().find("the database is damaged"), std::string::npos) << s.readiness();
}

TEST_F(StoreIntegrityTest, ASoundDatabaseIsReady) {
    store::Store s(db_.string());
    EXPECT_EQ(s.readiness(), "");
}

// --- the real binary --------------------------------------------------------

std::string serve_args(const std::filesystem::path& db) {
    return " serve --listen 127.0.0.1:0 --no-builtin-plugins --db " + shell_quote(db.string());
}

// Runs the binary as `nobody` when we are root (root is not stopped by modes).
std::vector<std::string> unprivileged() {
    if (::geteuid() != 0) return {};
    return {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
}

// `autoarr serve` in the background on a port of its choosing.
class Service {
public:
    Service(std::vector<std::string> argv, const std::filesystem::path& log) : log_(log) {
        proc_ = std::make_unique<ChildProcess>(argv, log.string());
        const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
        for (int i = 0; i < 400 && !port_; ++i) {
            std::smatch m;
            const std::string text = read_file(log_);
            if (std::regex_search(text, m, listening)) port_ = static_cast<uint16_t>(std::stoi(m[1]));
            if (!proc_->running()) break;
            std::this_thread::sleep_for(25ms);
        }
        if (!port_) throw std::runtime_error("autoarr serve did not start: " + read_file(log_));
    }
    std::pair<int, std::string> call(const std::string& method, const std::string& target,
                                     const std::string& body = "") {
        auto [head, text] = loopback_request(port_, method, target, body);
        return {head.status, text};
    }
    std::string log() const { return read_file(log_); }

private:
    std::filesystem::path log_;
    std::unique_ptr<ChildProcess> proc_;
    uint16_t port_ = 0;
};

std::vector<std::string> serve_argv(std::vector<std::string> prefix, const std::filesystem::path& db,
                                    std::vector<std::string> extra = {}) {
    prefix.insert(prefix.end(),
                  {AUTOARR_BINARY, "serve", "--listen", "127.0.0.1:0", "--no-builtin-plugins", "--db", db.string()});
    prefix.insert(prefix.end(), extra.begin(), extra.end());
    return prefix;
}

TEST_F(StoreIntegrityTest, ServeRefusesADamagedDatabaseAndRecoversItWithRecover) {
    fill(db_);
    damage_page_holding(db_, audit_id(kAudits / 2));

    auto refused =
        run_process("timeout -s KILL 20 " + shell_quote(AUTOARR_BINARY) + serve_args(db_));  // once, it served
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("the database " + db_.string() + " is damaged"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--recover"), std::string::npos) << refused.err;

    Service s(serve_argv({}, db_, {"--recover"}), dir_.path() / "serve.log");
    EXPECT_EQ(s.call("GET", "/health/ready").first, 200);
    auto list = s.call("GET", "/api/v1/audits?limit=200");
    EXPECT_EQ(list.first, 200) << list.second;
    EXPECT_NE(list.second.find(audit_id(kAudits - 1)), std::string::npos);
    EXPECT_NE(s.log().find("the damaged file is kept as " + db_.string() + ".damaged-"), std::string::npos) << s.log();
    bool kept = false;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
        kept = kept || e.path().filename().string().rfind("autoarr.db.damaged-", 0) == 0;
    EXPECT_TRUE(kept);
}

TEST_F(StoreIntegrityTest, AReadOnlyDatabaseDirectoryIsRefusedNamingIt) {
    const auto ro = dir_.path() / "ro";
    std::filesystem::create_directories(ro);
    ::chmod(ro.c_str(), 0555);
    std::string cmd;
    for (const auto& w : unprivileged()) cmd += shell_quote(w) + " ";
    auto r = run_process("timeout -s KILL 20 " + cmd + shell_quote(AUTOARR_BINARY) + serve_args(ro / "autoarr.db"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("the database directory " + ro.string() + " is not writable"), std::string::npos) << r.err;
}

// The file cannot be written (its owner is root, mode 0644), the directory
// can: the service starts, and says it is not ready.
TEST_F(StoreIntegrityTest, AReadOnlyDatabaseFileMakesReadiness503) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to hand the directory to nobody and keep the file";
    fill(db_);
    ::chmod(dir_.path().c_str(), 0777);
    ::chmod(db_.c_str(), 0644);
    Service s(serve_argv(unprivileged(), db_), dir_.path() / "serve.log");
    auto ready = s.call("GET", "/health/ready");
    EXPECT_EQ(ready.first, 503) << ready.second;
    EXPECT_NE(ready.second.find("the store cannot write"), std::string::npos) << ready.second;
    EXPECT_NE(s.log().find(db_.string() + ": not ready: the store cannot write"), std::string::npos) << s.log();
    EXPECT_EQ(s.call("GET", "/api/v1/audits").first, 200);  // reading still works
}

// The kernel refuses writes past RLIMIT_FSIZE (EFBIG) as a full disk refuses
// them (ENOSPC): audits fail, and readiness says so instead of "ready".
TEST_F(StoreIntegrityTest, AFullDiskMakesReadiness503) {
    { store::Store s(db_.string()); }
    const std::string sample = std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack";
    Service s(serve_argv({"prlimit", "--fsize=262144", "--"}, db_, {"--sample-stack", sample}),
              dir_.path() / "serve.log");
    ASSERT_EQ(s.call("GET", "/health/ready").first, 200);
    int failed_at = -1;
    for (int i = 0; i < 200 && failed_at < 0; ++i)
        if (s.call("POST", "/api/v1/audits", R"({"source":"sample"})").first != 201) failed_at = i;
    ASSERT_GE(failed_at, 0) << "256 KiB never filled up";
    std::this_thread::sleep_for(1100ms);  // past the probe's once-a-second cache
    auto ready = s.call("GET", "/health/ready");
    EXPECT_EQ(ready.first, 503) << ready.second;
    EXPECT_NE(ready.second.find("the store cannot write"), std::string::npos) << ready.second;
}

}  // namespace
}  // namespace autoarr::test
