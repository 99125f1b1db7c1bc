#include "server/enrichment_queue.h"

#include <boost/json.hpp>

#include "util/log.h"

namespace autoarr::server {
namespace json = boost::json;

EnrichmentQueue::EnrichmentQueue(routing::Router& router, store::Store& store, const audit::RuleSet& rules,
                                 std::size_t max_pending)
    : router_(router), store_(store), rules_(rules), max_pending_(max_pending) {
    worker_ = std::thread([this] { work(); });
}

EnrichmentQueue::~EnrichmentQueue() {
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    cancel_.cancel();
    wake_.notify_all();
    worker_.join();
}

bool EnrichmentQueue::submit(audit::AuditReport report, audit::AuditOptions options) {
    {
        std::lock_guard lock(queue_mutex_);
        if (stopping_ || queue_.size() >= max_pending_) return false;
        queue_.emplace_back(std::move(report), std::move(options));
    }
    wake_.notify_one();
    return true;
}

std::size_t EnrichmentQueue::pending() const {
    std::lock_guard lock(queue_mutex_);
    return queue_.size();
}

void EnrichmentQueue::store_report(const audit::AuditReport& r) {
    try {
        if (!store_.update_audit(r.audit_id, r.mode, r.provider.value_or(""), r.enrichment.state,
                                 audit::report_json(r)))
            log::warn("server", "audit " + r.audit_id + " vanished from the store during its enrichment");
    } catch (const std::exception& e) {
        log::error("server", "cannot store the enrichment of " + r.audit_id + ": " + e.what());
    }
}

void EnrichmentQueue::run_here(audit::AuditReport& r, audit::AuditOptions o, const OnBatch& on_batch) {
    o.explain.cache = &store_;
    if (!o.explain.cancel) o.explain.cancel = &cancel_;
    o.explain.on_progress = [&](const audit::EnrichmentProgress& p) {
        audit::apply_progress(r, p);
        r.enrichment.state = "running";
        store_report(r);  // each batch is kept as it arrives
        if (on_batch) on_batch(r, p);
    };
    try {
        audit::enrich_audit(r, rules_, router_, o);
    } catch (const std::exception& e) {
        // What was explained before the failure is kept: partial, not failed.
        log::error("server", "the enrichment of " + r.audit_id + " stopped: " + e.what());
        r.enrichment.state = r.enrichment.explained > 0 ? "partial" : "failed";
        r.enrichment.not_explained_reason = std::string("the enrichment stopped: ") + e.what();
        store_report(r);
        throw;
    }
    if (r.enrichment.state != "complete" && o.explain.cancel->cancelled())
        r.enrichment.not_explained_reason = &cancel_ == o.explain.cancel
                                                ? "the service stopped"
                                                : "the client went away, or its response deadline passed";
    store_report(r);
}

void EnrichmentQueue::work() {
    while (true) {
        std::pair<audit::AuditReport, audit::AuditOptions> job;
        {
            std::unique_lock lock(queue_mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;  // queued ones stay "running": mark_interrupted() at the next start
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            run_here(job.first, std::move(job.second), nullptr);
        } catch (const std::exception& e) {
            // run_here stored what it had; the worker goes on with the next audit.
            log::error("server", "the enrichment of " + job.first.audit_id + " failed: " + e.what());
        }
    }
}

int EnrichmentQueue::mark_interrupted(store::Store& store) {
    int n = 0;
    for (const auto& id : store.audits_with_enrichment("running")) {
        auto row = store.audit(id);
        if (!row) continue;
        json::error_code ec;
        json::value v = json::parse(row->report_json, ec);
        if (ec || !v.is_object()) {
            log::warn("server", "audit " + id + " has an unreadable report; left as it is");
            continue;
        }
        auto& e = v.as_object()["enrichment"];
        if (!e.is_object()) e = json::object{};
        auto& eo = e.as_object();
        const auto* explained = eo.if_contains("explained");
        const bool any = explained && explained->is_int64() && explained->get_int64() > 0;
        eo["state"] = any ? "partial" : "failed";
        eo["not_explained_reason"] = "interrupted: the service stopped before the enrichment finished";
        store.update_audit(id, row->mode, row->provider, any ? "partial" : "failed", json::serialize(v));
        ++n;
    }
    return n;
}

}  // namespace autoarr::server
