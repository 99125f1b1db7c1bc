// UsageWriter against real SQLite files: rows are committed in order and in
// batches, flush() and the destructor lose nothing, failed commits are
// retried then counted, and a full queue drops (and counts) instead of growing.
#include "store/usage_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/sqlite.h"
#include "support/temp_dir.h"

using namespace autoarr;

namespace {

store::UsageRow row(int i) {
    store::UsageRow u;
    u.provider = "ollama";
    u.model = "m" + std::to_string(i);
    u.outcome = "ok";
    u.prompt_tokens = i;
    return u;
}

// A second, independent connection to the same file: what another process would see.
int64_t count_rows(const std::string& path, const char* where = "1") {
    store::Database db(path);
    auto s = db.prepare(std::string("SELECT count(*) FROM request_usage WHERE ") + where);
    s.step();
    return s.integer(0);
}

class UsageWriterTest : public ::testing::Test {
protected:
    test::TempDir dir_;
    std::string path_ = (dir_.path() / "usage.db").string();
};

TEST_F(UsageWriterTest, FlushCommitsEveryRowInOrderWithItsOwnTimestamp) {
    store::Store db(path_);
    store::UsageWriter w(db);
    auto r = row(1);
    r.at = "2026-11-26T10:00:00.000Z";
    w.record(r);
    w.record(row(2));  // no timestamp: the store's clock
    w.flush();
    EXPECT_EQ(w.stats().written, 2u);
    store::Database check(path_);
    auto s = check.prepare("SELECT at, model FROM request_usage ORDER BY rowid");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "2026-11-26T10:00:00.000Z");
    EXPECT_EQ(s.text(1), "m1");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0).size(), 24u) << s.text(0);  // 2026-11-26T14:48:31.123Z
    EXPECT_EQ(s.text(1), "m2");
}

TEST_F(UsageWriterTest, ConcurrentRowsShareCommitsAndAllArrive) {
    store::Store db(path_);
    constexpr int kThreads = 8, kEach = 500;
    {
        store::UsageWriter w(db, {.linger = std::chrono::milliseconds(5)});
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < kEach; ++i) w.record(row(t * kEach + i));
            });
        for (auto& t : threads) t.join();
        w.flush();
        EXPECT_EQ(w.stats().written, static_cast<uint64_t>(kThreads * kEach));
        EXPECT_EQ(w.stats().dropped, 0u);
        // Batched: far fewer transactions than rows (one per row is what this replaced).
        EXPECT_LT(w.stats().commits, static_cast<uint64_t>(kThreads * kEach / 10)) << w.stats().commits << " commits";
    }
    EXPECT_EQ(count_rows(path_), kThreads * kEach);
    // Each thread's rows were committed in the order that thread recorded them.
    store::Database check(path_);
    auto s = check.prepare("SELECT prompt_tokens FROM request_usage ORDER BY rowid");
    std::vector<int64_t> last(kThreads, -1);
    while (s.step()) {
        const int64_t v = s.integer(0);
        EXPECT_GT(v, last[v / kEach]);
        last[v / kEach] = v;
    }
}

TEST_F(UsageWriterTest, DestructorCommitsWhatIsStillQueued) {
    {
        store::Store db(path_);
        store::UsageWriter w(db, {.linger = std::chrono::milliseconds(1000)});
        for (int i = 0; i < 100; ++i) w.record(row(i));
    }  // no flush(): the destructor must not lose them
    EXPECT_EQ(count_rows(path_), 100);
}

TEST_F(UsageWriterTest, FailedCommitsAreRetriedThenCountedAndTheWriterRecovers) {
    store::Store db(path_);
    store::UsageWriter w(db, {.linger = std::chrono::milliseconds(1), .max_attempts = 3});
    // Another connection removes the table: every commit now fails with "no such table".
    store::Database other(path_);
    other.exec("ALTER TABLE request_usage RENAME TO request_usage_moved");
    w.record(row(1));
    w.record(row(2));
    w.flush();  // returns once the rows are given up
    EXPECT_EQ(w.stats().failed, 2u);
    EXPECT_EQ(w.stats().written, 0u);
    // The table is back: the next rows are written as usual.
    other.exec("ALTER TABLE request_usage_moved RENAME TO request_usage");
    w.record(row(3));
    w.flush();
    EXPECT_EQ(w.stats().written, 1u);
    EXPECT_EQ(count_rows(path_, "prompt_tokens = 3"), 1);
}

TEST_F(UsageWriterTest, AFullQueueDropsAndCountsInsteadOfGrowing) {
    store::Store db(path_);
    store::UsageWriter w(db, {.linger = std::chrono::milliseconds(1), .max_pending = 10});
    // Another connection holds the write lock, so the writer's first commit
    // waits (busy timeout) and the queue can only fill.
    store::Database other(path_);
    other.exec("BEGIN IMMEDIATE");
    constexpr int kRows = 1000;
    for (int i = 0; i < kRows; ++i) w.record(row(i));
    // The writer holds at most one batch (<= 10 rows) and the queue at most 10.
    EXPECT_GE(w.stats().dropped, static_cast<uint64_t>(kRows - 20));
    other.exec("ROLLBACK");
    w.flush();
    EXPECT_EQ(w.stats().written + w.stats().dropped, static_cast<uint64_t>(kRows));
    EXPECT_EQ(count_rows(path_), static_cast<int64_t>(w.stats().written));
}

}  // namespace
