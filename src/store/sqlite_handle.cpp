#include "store/sqlite_handle.hpp"

namespace progressd::store {
namespace {

[[noreturn]] void fail(sqlite3* db, int code, std::string_view action) {
    std::string what(action);
    what += ": ";
    what += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    throw sqlite_error(what, code & 0xFF);
}

}  // namespace

sqlite_statement::sqlite_statement(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "cannot prepare statement");
    stmt_.reset(raw);
}

sqlite_statement& sqlite_statement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                                     SQLITE_STATIC);
    if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_.get()), rc, "cannot bind text");
    return *this;
}

sqlite_statement& sqlite_statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
    if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_.get()), rc, "cannot bind integer");
    return *this;
}

bool sqlite_statement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(sqlite3_db_handle(stmt_.get()), rc, "statement failed");
}

void sqlite_statement::reset() noexcept {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

std::string_view sqlite_statement::column_text(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
    const int size = sqlite3_column_bytes(stmt_.get(), index);
    return {text ? text : "", static_cast<std::size_t>(size)};
}

std::int64_t sqlite_statement::column_int(int index) const {
    return sqlite3_column_int64(stmt_.get(), index);
}

bool sqlite_statement::column_is_null(int index) const {
    return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

sqlite_connection::sqlite_connection(const std::string& path, bool create) {
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);  // a failed open still returns a handle that must be closed
    if (rc != SQLITE_OK) fail(raw, rc, "cannot open database " + path);
    sqlite3_extended_result_codes(raw, 1);
}

void sqlite_connection::execute(std::string_view sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = "cannot run '" + std::string(sql.substr(0, 60)) + "': ";
        what += message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw sqlite_error(what, rc & 0xFF);
    }
}

}  // namespace progressd::store
