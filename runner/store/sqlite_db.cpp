#include "runner/store/sqlite_db.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <utility>

#include "runner/core/utf8_text.hpp"

namespace qgate {
namespace {

// SQLITE_TRANSIENT is a C cast in a macro; spelled out so -Wold-style-cast stays on.
const sqlite3_destructor_type kCopyText =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

}  // namespace

bool SqliteError::is_busy() const { return (code_ & 0xff) == SQLITE_BUSY; }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(statement_);
    statement_ = std::exchange(other.statement_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

void SqliteStatement::fail(int code) const {
  throw SqliteError(code, sqlite3_errmsg(sqlite3_db_handle(statement_)));
}

SqliteStatement& SqliteStatement::bind_text(int index, std::string_view value) {
  // Declared UTF-8, it must be: the same text as PostgreSQL keeps (no NUL,
  // invalid bytes replaced), which reads back whole.
  const std::string text = to_storable_text(value);
  const int rc =
      sqlite3_bind_text64(statement_, index, text.c_str(), text.size(), kCopyText, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(rc);
  return *this;
}

SqliteStatement& SqliteStatement::bind_int(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK) fail(rc);
  return *this;
}

SqliteStatement& SqliteStatement::bind_double(int index, double value) {
  const int rc = sqlite3_bind_double(statement_, index, value);
  if (rc != SQLITE_OK) fail(rc);
  return *this;
}

SqliteStatement& SqliteStatement::bind_null(int index) {
  const int rc = sqlite3_bind_null(statement_, index);
  if (rc != SQLITE_OK) fail(rc);
  return *this;
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc);
}

void SqliteStatement::run() {
  while (step()) {
  }
  reset();
}

void SqliteStatement::reset() {
  // Errors of the last step were already thrown by step(); reset only repeats them.
  sqlite3_reset(statement_);
}

std::string SqliteStatement::column_text(int index) const {
  const auto* text = sqlite3_column_text(statement_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)));
}

std::int64_t SqliteStatement::column_int(int index) const {
  return sqlite3_column_int64(statement_, index);
}

double SqliteStatement::column_double(int index) const {
  return sqlite3_column_double(statement_, index);
}

bool SqliteStatement::column_is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

SqliteDb SqliteDb::open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  // sqlite3_open_v2 hands back a connection even on failure, to carry the message.
  SqliteDb owner(db);
  if (rc != SQLITE_OK) {
    if (db == nullptr) throw SqliteError(rc, sqlite3_errstr(rc));
    owner.fail(rc);
  }
  sqlite3_extended_result_codes(db, 1);
  return owner;
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

void SqliteDb::fail(int code) const { throw SqliteError(code, sqlite3_errmsg(db_)); }

void SqliteDb::execute(std::string_view sql) {
  // sqlite3_exec needs a terminated string; a string_view may not be one.
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const std::string error = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw SqliteError(rc, error);
  }
}

SqliteStatement SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    fail(rc);
  }
  return SqliteStatement(statement);
}

void SqliteDb::set_busy_timeout(int milliseconds) {
  const int rc = sqlite3_busy_timeout(db_, milliseconds);
  if (rc != SQLITE_OK) fail(rc);
}

void SqliteDb::skip_checkpoint_on_close() {
  const int rc = sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  if (rc != SQLITE_OK) fail(rc);
}

int SqliteDb::changes() const { return sqlite3_changes(db_); }

SqliteTransaction::SqliteTransaction(SqliteDb& db, TransactionKind kind) : db_(db) {
  db_.execute(kind == TransactionKind::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

SqliteTransaction::~SqliteTransaction() {
  if (!open_) return;
  try {
    db_.execute("ROLLBACK");
  } catch (const SqliteError&) {
    // SQLite already rolled back on its own after some errors (SQLITE_FULL, ...).
  }
}

void SqliteTransaction::commit() {
  db_.execute("COMMIT");
  open_ = false;
}

}  // namespace qgate
