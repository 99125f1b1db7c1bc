// Progressive results for the service (docs/audit.md, "States"): an audit is
// answered at once with its rules-only report, and its explanations are
// filled in afterwards by one worker, one audit at a time (a local model
// serves one request at a time anyway). Every explained batch is stored as
// it arrives, so a restart loses nothing already explained: at start,
// enrichments still "running" in the store become "partial".
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "audit/audit_run.h"
#include "plugin/host_services.h"
#include "store/store.h"

namespace autoarr::server {

class EnrichmentQueue {
public:
    using OnBatch = std::function<void(const audit::AuditReport&, const audit::EnrichmentProgress&)>;

    EnrichmentQueue(routing::Router& router, store::Store& store, const audit::RuleSet& rules,
                    std::size_t max_pending = 32);
    // Stops the worker: the running enrichment is cancelled and stored as
    // "partial"; queued ones stay "running" in the store and become partial
    // at the next start.
    ~EnrichmentQueue();
    EnrichmentQueue(const EnrichmentQueue&) = delete;
    EnrichmentQueue& operator=(const EnrichmentQueue&) = delete;

    // Queues an audit whose enrichment.state is "running" (stored already).
    // False when the queue is full: the caller stores it as skipped.
    bool submit(audit::AuditReport report, audit::AuditOptions options);
    // Enriches in the calling thread (the SSE variant); on_batch runs after
    // each batch is stored. Returns the final report, stored.
    void run_here(audit::AuditReport& report, audit::AuditOptions options, const OnBatch& on_batch);
    std::size_t pending() const;

    // At start: every enrichment the store still calls "running" was cut
    // short by a stop; marks each "partial" and says so. Returns how many.
    static int mark_interrupted(store::Store& store);

private:
    void work();
    void store_report(const audit::AuditReport& report);

    routing::Router& router_;
    store::Store& store_;
    const audit::RuleSet& rules_;
    const std::size_t max_pending_;

    mutable std::mutex queue_mutex_;  // guards queue_, stopping_
    std::condition_variable wake_;
    std::deque<std::pair<audit::AuditReport, audit::AuditOptions>> queue_;
    bool stopping_ = false;
    plugin::CancelToken cancel_;  // cancels the enrichment in progress at stop
    std::thread worker_;
};

}  // namespace autoarr::server
