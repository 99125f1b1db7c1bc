// Request usage rows, written off the request path.
//
// record() appends a row to an in-memory queue and returns; one background
// thread commits what has queued as a single transaction, then lingers
// briefly so that rows arriving meanwhile share the next commit. A commit
// per request cost about a fifth of the service's CPU under load
// (docs/decisions/0005-usage-rows-batched.md).
//
// Guarantees:
// - record() never waits for SQLite or the disk, and never throws.
// - Rows are committed in the order they were recorded.
// - flush() returns once every row recorded before the call is committed,
//   or has been given up on (see below).
// - The destructor flushes, then joins the thread: stop the writer before
//   the Store it writes to.
// - A failed commit (disk full, database locked past the busy timeout) is
//   retried on the next round, up to `max_attempts` in all; after that its
//   rows are counted in failed() and logged once per batch.
// - At most `max_pending` rows wait; beyond that, new rows are counted in
//   dropped() and not kept, so a stuck disk cannot exhaust memory.
// - A process killed with SIGKILL loses at most the rows queued since the
//   last commit (one linger interval plus one commit). Audits never pass
//   through here: Store::save_audit commits before the response is sent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace autoarr::store {

class UsageWriter {
public:
    struct Options {
        std::chrono::milliseconds linger{20};  // wait after a commit, to batch what follows
        std::size_t max_pending = 100000;      // rows; about 10 MB at the most
        int max_attempts = 3;                  // commits tried per batch before its rows are given up
    };

    explicit UsageWriter(Store& store) : UsageWriter(store, Options{}) {}
    UsageWriter(Store& store, Options options);
    ~UsageWriter();
    UsageWriter(const UsageWriter&) = delete;
    UsageWriter& operator=(const UsageWriter&) = delete;

    void record(UsageRow row) noexcept;
    void flush();

    struct Stats {
        std::uint64_t written = 0;  // rows committed
        std::uint64_t commits = 0;  // transactions that committed rows
        std::uint64_t failed = 0;   // rows given up after max_attempts failed commits
        std::uint64_t dropped = 0;  // rows refused because max_pending were waiting
    };
    Stats stats() const;  // one consistent snapshot

private:
    void run();

    Store& store_;
    const Options options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;      // the writer: rows queued, or stopping
    std::condition_variable progress_;  // flush(): a batch finished
    std::deque<UsageRow> queue_;
    std::uint64_t recorded_ = 0;  // rows ever accepted; flush() waits until written + failed reach it
    Stats stats_;
    bool writer_idle_ = false;  // waiting on wake_: only then does record() notify
    bool stopping_ = false;
    bool flush_requested_ = false;  // skip the linger
    std::thread thread_;
};

}  // namespace autoarr::store
