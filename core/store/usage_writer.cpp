#include "store/usage_writer.h"

#include <vector>

#include "util/log.h"

namespace autoarr::store {

UsageWriter::UsageWriter(Store& store, Options options) : store_(store), options_(options) {
    thread_ = std::thread([this] { run(); });
}

UsageWriter::~UsageWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();  // run() commits everything queued before it returns
}

void UsageWriter::record(UsageRow row) noexcept {
    bool notify = false;
    try {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= options_.max_pending) {
            ++stats_.dropped;
            return;
        }
        queue_.push_back(std::move(row));
        ++recorded_;
        notify = writer_idle_;
    } catch (const std::bad_alloc&) {
        std::lock_guard lock(mutex_);
        ++stats_.dropped;
        return;
    }
    // Only an idle writer needs waking; a busy or lingering one will look again.
    if (notify) wake_.notify_one();
}

void UsageWriter::flush() {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = recorded_;
    flush_requested_ = true;
    wake_.notify_one();
    progress_.wait(lock, [&] { return stats_.written + stats_.failed >= target; });
}

UsageWriter::Stats UsageWriter::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void UsageWriter::run() {
    std::vector<UsageRow> batch;
    int attempts = 0;  // failed commits of the current batch
    std::unique_lock lock(mutex_);
    for (;;) {
        if (batch.empty()) {
            writer_idle_ = true;
            wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
            writer_idle_ = false;
            if (queue_.empty()) return;  // stopping, and nothing left
            batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
            queue_.clear();
            attempts = 0;
        }
        lock.unlock();
        std::string error;
        try {
            store_.record_usage_batch(batch);
        } catch (const std::exception& e) {
            error = e.what();
        }
        lock.lock();
        bool batch_done = true;  // committed, or given up
        if (error.empty()) {
            stats_.written += batch.size();
            ++stats_.commits;
        } else if (++attempts >= options_.max_attempts || stopping_) {
            stats_.failed += batch.size();
            log::error("store", "gave up on " + std::to_string(batch.size()) + " usage row(s) after " +
                                    std::to_string(attempts) + " failed commit(s): " + error);
        } else {
            log::warn("store", "usage rows not committed (will retry): " + error);
            batch_done = false;
        }
        if (batch_done) {
            batch.clear();
            progress_.notify_all();
        }
        // Linger so that the rows of concurrent requests share one commit;
        // stopping or a flush() cuts it short.
        if (!stopping_ && !flush_requested_)
            wake_.wait_for(lock, options_.linger, [&] { return stopping_ || flush_requested_; });
        flush_requested_ = false;
    }
}

}  // namespace autoarr::store
