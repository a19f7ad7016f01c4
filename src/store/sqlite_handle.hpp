// Owning wrappers for sqlite3 connections and prepared statements, in the shape fmt gives FILE*:
// no copies, noexcept moves, get(), and destructors that never throw.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace progressd::store {

/// An SQLite failure: the operation, the message, and the primary result code (SQLITE_FULL, …).
class sqlite_error : public std::runtime_error {
public:
    sqlite_error(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

class sqlite_statement {
public:
    sqlite_statement() = default;
    sqlite_statement(sqlite3* db, std::string_view sql);

    /// Binds, in order from parameter 1. Text is bound without a copy: it must outlive step().
    sqlite_statement& bind(int index, std::string_view text);
    sqlite_statement& bind(int index, std::int64_t value);

    /// Runs one step: true when a row is ready, false when done. Throws sqlite_error.
    bool step();
    /// Makes the statement reusable and drops its bindings.
    void reset() noexcept;

    std::string_view column_text(int index) const;
    std::int64_t column_int(int index) const;
    bool column_is_null(int index) const;

private:
    struct finalizer {
        void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
    };
    std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

/// Resets a statement when the scope that used it ends, however it ends.
class statement_scope {
public:
    explicit statement_scope(sqlite_statement& s) : s_(s) {}
    ~statement_scope() { s_.reset(); }
    statement_scope(const statement_scope&) = delete;
    statement_scope& operator=(const statement_scope&) = delete;

private:
    sqlite_statement& s_;
};

class sqlite_connection {
public:
    /// Opens (creating when `create`) the database at `path`. Throws sqlite_error naming the path.
    sqlite_connection(const std::string& path, bool create);

    sqlite3* get() const noexcept { return db_.get(); }
    /// Runs one or more statements that return no rows. Throws sqlite_error.
    void execute(std::string_view sql);

private:
    struct closer {
        void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };
    std::unique_ptr<sqlite3, closer> db_;
};

}  // namespace progressd::store
