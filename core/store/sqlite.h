// RAII over the SQLite C API: a connection and prepared statements.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace autoarr::store {

class SqliteError : public std::runtime_error {
public:
    explicit SqliteError(const std::string& what, int code = SQLITE_ERROR) : std::runtime_error(what), code_(code) {}
    int code() const { return code_; }  // SQLite's extended result code
    // The file or the disk failed (an I/O error, a full disk, a read-only
    // file, damage), rather than the SQL.
    bool storage_failure() const;

private:
    int code_;
};

class Database;

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::string_view v);
    Statement& bind(int i, int64_t v);
    Statement& bind_null(int i);
    Statement& bind(int i, const sqlite3_value* v);  // a copy of another statement's column
    bool step();                                     // true: a row is ready; false: done. Throws on error.
    void run() {
        while (step()) {
        }
    }
    // Makes the statement ready to run again with new bindings.
    Statement& reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        return *this;
    }
    std::string text(int col) const;
    int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    // The column as SQLite holds it (any type), valid until the next step or reset.
    const sqlite3_value* value(int col) const { return sqlite3_column_value(stmt_, col); }

private:
    Database& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class Database {
public:
    enum class Mode { read_write, read_only };
    static constexpr int kBusyTimeoutMs = 5000;  // how long a statement waits for another process's lock
    // Opens (creating it in read_write mode); throws SqliteError naming the path.
    explicit Database(const std::string& path, Mode mode = Mode::read_write);
    ~Database() { sqlite3_close_v2(db_); }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) { return Statement(*this, sql); }
    sqlite3* raw() { return db_; }
    // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    int64_t changes() { return sqlite3_changes64(db_); }

    // The error SQLite reports now, as an exception to throw; counts storage failures.
    SqliteError failure(const std::string& context);
    // Storage failures seen so far on this connection: a caller that sees the
    // count grow checks the file for damage.
    int64_t storage_failures() const { return storage_failures_.load(); }
    int last_storage_failure() const { return last_storage_failure_.load(); }  // its result code

private:
    sqlite3* db_ = nullptr;
    std::atomic<int64_t> storage_failures_{0};
    std::atomic<int> last_storage_failure_{SQLITE_OK};
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() was called.
class Transaction {
public:
    explicit Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
    ~Transaction() {
        if (!done_) try {
                db_.exec("ROLLBACK");
            } catch (...) {
            }
    }
    void commit() {
        db_.exec("COMMIT");
        done_ = true;
    }

private:
    Database& db_;
    bool done_ = false;
};

}  // namespace autoarr::store
