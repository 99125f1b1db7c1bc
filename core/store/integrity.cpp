#include "store/integrity.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "util/log.h"
#include "util/utc_time.h"

namespace autoarr::store {
namespace fs = std::filesystem;

std::string check_directory_writable(const fs::path& db_path) {
    const fs::path dir = fs::absolute(db_path).parent_path();
    // Creating a file is the only test that is true for every reason a
    // directory can refuse one: its mode, ACLs, a read-only mount, a quota.
    std::string probe = (dir / ".autoarr-write-probe-XXXXXX").string();
    const int fd = ::mkstemp(probe.data());
    if (fd < 0)
        return "the database directory " + dir.string() + " is not writable (" + std::strerror(errno) +
               "): SQLite creates its -wal and -shm files beside the database";
    ::close(fd);
    ::unlink(probe.c_str());
    return {};
}

std::string quick_check(Database& db) {
    try {
        auto s = db.prepare("PRAGMA quick_check(5)");
        std::string findings;
        while (s.step()) {
            const std::string line = s.text(0);
            if (line == "ok") return {};
            findings += (findings.empty() ? "" : "; ") + line;
        }
        return findings.empty() ? "PRAGMA quick_check returned nothing" : findings;
    } catch (const SqliteError& e) {
        return e.what();  // a file too damaged to check is damaged
    }
}

std::string write_probe(Database& db) {
    // /health/ready must not wait 5 s behind another process's long write.
    struct ShortBusyWait {
        Database& db;
        explicit ShortBusyWait(Database& d) : db(d) { sqlite3_busy_timeout(db.raw(), 100); }
        ~ShortBusyWait() { sqlite3_busy_timeout(db.raw(), Database::kBusyTimeoutMs); }
    } short_wait(db);
    try {
        Transaction t(db);
        auto v = db.prepare("PRAGMA user_version");
        v.step();
        db.exec("PRAGMA user_version=" + std::to_string(v.integer(0)));
        t.commit();
        return {};
    } catch (const SqliteError& e) {
        if ((e.code() & 0xff) == SQLITE_BUSY) return {};  // a lock held elsewhere says nothing about the disk
        return std::string("the store cannot write: ") + sqlite3_errstr(e.code());
    }
}

std::string StoreReadiness::check(Database& db) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) return cause_;
    next_ = now + every_;
    // A statement that failed on storage since the last look counts even when
    // the probe's one small write still fits (a disk with 4 KiB left).
    const bool failed_since = db.storage_failures() != storage_failures_seen_;
    std::string cause = write_probe(db);
    if (cause.empty() && failed_since)
        cause = std::string("the store cannot write: a write failed: ") + sqlite3_errstr(db.last_storage_failure());
    storage_failures_seen_ = db.storage_failures();  // the probe's own failure is in cause
    // After an I/O error, and when writing starts to fail, look for damage.
    if (!damaged_ && (failed_since || (!cause.empty() && cause_.empty()))) {
        if (auto findings = quick_check(db); !findings.empty()) {
            damaged_ = true;
            damage_ = "the database is damaged: " + findings;
        }
    }
    if (damaged_) cause = damage_;
    if (cause != cause_) {
        if (cause.empty())
            log::info("store", path_ + " is ready again");
        else
            log::warn("store", path_ + ": not ready: " + cause);
    }
    cause_ = cause;
    return cause_;
}

namespace {

std::string quoted(const std::string& name) {
    std::string q = "\"";
    for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::vector<std::string> column_names(Database& db, const std::string& table) {
    std::vector<std::string> names;
    auto s = db.prepare("SELECT name FROM pragma_table_info(?)");
    s.bind(1, table);
    while (s.step()) names.push_back(s.text(0));
    return names;
}

// Renames a database with its -wal and -shm companions; returns false (with
// errno's text in why) when the main file cannot be renamed.
bool rename_database(const fs::path& from, const fs::path& to, std::string& why) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
        why = "cannot rename " + from.string() + " to " + to.string() + ": " + ec.message();
        return false;
    }
    for (const char* suffix : {"-wal", "-shm"}) {
        fs::path companion = from.string() + suffix;
        if (fs::exists(companion, ec)) fs::rename(companion, to.string() + suffix, ec);
    }
    return true;
}

void remove_database(const fs::path& path) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix, ec);
}

// Writing the new file failed: recovery cannot go on (not a damaged row).
struct WriteFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Copies one table's readable rows, in rowid order. A damaged page makes
// every read that touches it fail; after such a failure the copier gallops
// forward (rowid +1, +2, +4, ...) to a rowid it can seek to again, binary
// searches back to the first one, reports the rowids in between as lost and
// copies on from there. So each damaged page costs a few dozen seeks, and
// every readable row on either side of it is kept.
class TableCopier {
public:
    TableCopier(Database& from, Database& to, const std::string& table, const std::vector<std::string>& columns,
                RecoveryReport& report)
        : from_(from), to_(to), table_(table), report_(report) {
        std::string cols, params;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            cols += ", " + quoted(columns[i]);
            params += ", ?" + std::to_string(i + 2);
        }
        scan_ = "SELECT rowid" + cols + " FROM " + quoted(table) + " WHERE rowid >= ? ORDER BY rowid";
        seek_ = "SELECT rowid FROM " + quoted(table) + " WHERE rowid >= ? ORDER BY rowid LIMIT 1";
        insert_ = "INSERT INTO " + quoted(table) + "(rowid" + cols + ") VALUES(?1" + params + ")";
        width_ = static_cast<int>(columns.size()) + 1;
    }

    void run() {
        constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
        auto insert = to_.prepare(insert_);
        int64_t pos = std::numeric_limits<int64_t>::min();
        for (;;) {
            std::optional<int64_t> last;  // the last rowid read in this pass
            try {
                auto rows = from_.prepare(scan_);
                rows.bind(1, pos);
                while (rows.step()) {
                    last = rows.integer(0);
                    insert.reset();
                    for (int c = 0; c < width_; ++c) insert.bind(c + 1, rows.value(c));
                    try {
                        insert.run();
                        ++report_.rows_copied;
                    } catch (const SqliteError& e) {
                        if (e.storage_failure()) throw WriteFailed(e.what());  // the new file: stop
                        // It reads, but its content breaks a constraint: damaged content.
                        report_.lost.push_back(table_ + ": rowid " + std::to_string(*last) +
                                               " could not be stored: " + e.what());
                    }
                }
                return;  // read to the end
            } catch (const SqliteError&) {
                // The read failed after `last` (or at `pos`): find where reading works again.
            }
            if (last && *last == kMax) return;
            const int64_t bad_from = last ? *last + 1 : pos;
            // Gallop: bad is the last rowid that could not be sought, good the first that could.
            int64_t bad = bad_from, good = bad_from;
            for (uint64_t step = 1;; step = step <= kHalf ? step * 2 : step) {
                good = distance(bad, kMax) < step ? kMax : advance(bad, step);
                if (seekable(good)) break;
                if (good == kMax) {
                    lost(bad_from, kMax);
                    return;
                }
                bad = good;
            }
            while (distance(bad, good) > 1) {
                const int64_t mid = advance(bad, distance(bad, good) / 2);
                (seekable(mid) ? good : bad) = mid;
            }
            lost(bad_from, good - 1);
            pos = good;
        }
    }

private:
    static constexpr uint64_t kHalf = std::numeric_limits<uint64_t>::max() / 2;
    // Rowids span the whole int64 range: their distances are computed unsigned.
    static uint64_t distance(int64_t from, int64_t to) {
        return static_cast<uint64_t>(to) - static_cast<uint64_t>(from);
    }
    static int64_t advance(int64_t from, uint64_t by) { return static_cast<int64_t>(static_cast<uint64_t>(from) + by); }

    bool seekable(int64_t rowid) {
        try {
            auto s = from_.prepare(seek_);
            s.bind(1, rowid);
            s.step();
            return true;
        } catch (const SqliteError&) {
            return false;  // the page this rowid leads to is damaged
        }
    }
    void lost(int64_t lo, int64_t hi) {
        const std::string to = hi == std::numeric_limits<int64_t>::max() ? " to the end"
                               : hi == lo                                ? ""
                                                                         : " to " + std::to_string(hi);
        report_.lost.push_back(table_ + ": rowid " + std::to_string(lo) + to + " could not be read");
    }

    Database& from_;
    Database& to_;
    std::string table_;
    RecoveryReport& report_;
    std::string scan_, seek_, insert_;
    int width_ = 1;
};

}  // namespace

RecoveryReport recover_database(const fs::path& path, const std::function<void(const std::string&)>& create_schema) {
    RecoveryReport report;
    report.kept_as = path.string() + ".damaged-" + util::format_utc(std::chrono::system_clock::now(), "%Y%m%dT%H%M%SZ");
    const fs::path fresh_path = path.string() + ".recovering";
    std::string why;
    if (!rename_database(path, report.kept_as, why)) throw SqliteError("cannot recover " + path.string() + ": " + why);
    try {
        Database damaged(report.kept_as.string(), Database::Mode::read_only);
        std::vector<std::string> tables;
        {
            auto s = damaged.prepare(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid");
            while (s.step()) tables.push_back(s.text(0));
        }
        remove_database(fresh_path);
        create_schema(fresh_path.string());
        {
            Database fresh(fresh_path.string());
            Transaction t(fresh);
            for (const auto& table : tables) {
                const auto wanted = column_names(fresh, table);
                if (wanted.empty()) {
                    report.lost.push_back(table + ": not in this version's schema, not copied");
                    continue;
                }
                std::vector<std::string> columns;
                const auto have = column_names(damaged, table);
                for (const auto& c : wanted)
                    if (std::find(have.begin(), have.end(), c) != have.end()) columns.push_back(c);
                TableCopier(damaged, fresh, table, columns, report).run();
            }
            // Rows whose parent was lost (a finding of an unreadable audit) go too.
            int64_t orphans = 0;
            {
                auto s = fresh.prepare("PRAGMA foreign_key_check");
                std::vector<std::pair<std::string, int64_t>> rows;
                while (s.step()) rows.emplace_back(s.text(0), s.integer(1));
                for (const auto& [table, rowid] : rows) {
                    fresh.prepare("DELETE FROM " + quoted(table) + " WHERE rowid=?").bind(1, rowid).run();
                    ++orphans;
                }
            }
            if (orphans) {
                report.rows_copied -= orphans;
                report.lost.push_back(std::to_string(orphans) + " rows whose parent row was lost");
            }
            t.commit();
        }
        std::error_code ec;
        fs::rename(fresh_path, path, ec);
        if (ec) throw SqliteError("cannot move " + fresh_path.string() + " to " + path.string() + ": " + ec.message());
    } catch (const std::exception& e) {
        remove_database(fresh_path);
        std::string back;
        const std::string where = rename_database(report.kept_as, path, back)
                                      ? ""
                                      : " (the damaged file stays at " + report.kept_as.string() + ": " + back + ")";
        throw SqliteError("cannot recover " + path.string() + ": " + e.what() + where);
    }
    return report;
}

}  // namespace autoarr::store
