// synchronous=FULL for one guard's lifetime: the writes that must survive
// power loss (audits, change sets) are fsynced; everything else runs NORMAL.
#pragma once

#include <string>

#include "store/sqlite.h"
#include "util/log.h"

namespace autoarr::store {

class FullSync {
public:
    explicit FullSync(Database& db) : db_(db) { db_.exec("PRAGMA synchronous=FULL"); }
    ~FullSync() {
        try {
            db_.exec("PRAGMA synchronous=NORMAL");
        } catch (const std::exception& e) {
            // The next writes run FULL: slower, never less safe.
            log::warn("store", std::string("cannot restore synchronous=NORMAL: ") + e.what());
        }
    }
    FullSync(const FullSync&) = delete;
    FullSync& operator=(const FullSync&) = delete;

private:
    Database& db_;
};

}  // namespace autoarr::store
