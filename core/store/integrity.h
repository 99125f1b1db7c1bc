// Whether the store can do its job: the database's directory accepts new
// files, the file accepts writes, and its pages are sound (docs/operations.md,
// "The database"). And, for a damaged file, recovery of what can be read.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace autoarr::store {

// Thrown at open when PRAGMA quick_check finds damage; the message names the
// file and the findings, and says how to recover.
class DamagedDatabase : public SqliteError {
public:
    using SqliteError::SqliteError;
};

// "" when this process may create files in the directory that holds db_path
// (SQLite creates the -wal and -shm files beside the database), tested by
// creating one; otherwise the reason, naming the directory.
std::string check_directory_writable(const std::filesystem::path& db_path);

// PRAGMA quick_check: "" when the database is sound, else its first findings
// on one line.
std::string quick_check(Database& db);

// Writes to the file and commits without changing anything (user_version is
// rewritten with its own value), so a read-only file, a full disk or an I/O
// error shows up now rather than on the next audit. "" or the cause; throws
// nothing. Waits at most 100 ms for another process's lock, and a lock it
// cannot get is not a cause.
std::string write_probe(Database& db);

// Decides readiness from the probes above, at most once per `every`: not
// ready when the write probe fails or any statement on the connection failed
// on storage since the last look; a quick_check runs after such a failure.
// Damage is remembered until restart. Not thread-safe: the store's mutex
// guards it.
class StoreReadiness {
public:
    explicit StoreReadiness(std::string path, std::chrono::milliseconds every = std::chrono::seconds(1))
        : path_(std::move(path)), every_(every) {}

    // "" when ready; else why not, without the path (it is shown to API
    // clients). A change is logged once, with the path.
    std::string check(Database& db);

private:
    std::string path_;
    std::chrono::milliseconds every_;
    std::chrono::steady_clock::time_point next_{};
    int64_t storage_failures_seen_ = 0;
    std::string cause_;   // the last answer
    std::string damage_;  // set once quick_check found damage
    bool damaged_ = false;
};

struct RecoveryReport {
    std::filesystem::path kept_as;  // the damaged file, renamed, untouched since
    int64_t rows_copied = 0;
    std::vector<std::string> lost;  // "audits: rowid 40 to 61 could not be read", one per unreadable range
};

// Copies every row that can still be read from the damaged database at path
// into a new database at the same path, created with the current schema by
// `create_schema` (which is given the new file's path). The damaged file and
// its -wal and -shm are first renamed to <path>.damaged-<UTC time> and opened
// read-only, so nothing in them changes. Throws SqliteError when it cannot
// finish (the schema itself is unreadable, the disk is full); then the
// damaged file is put back at path and no new file is left.
RecoveryReport recover_database(const std::filesystem::path& path,
                                const std::function<void(const std::string&)>& create_schema);

}  // namespace autoarr::store
