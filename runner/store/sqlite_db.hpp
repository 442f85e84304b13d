#pragma once
// Small move-only owners for SQLite handles: a connection, a prepared
// statement and a transaction that rolls back unless committed.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace qgate {

// Thrown when SQLite reports a failure; what() is SQLite's own message.
class SqliteError : public std::runtime_error {
 public:
  // Makes the error for result `code` with SQLite's `message`.
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // Returns SQLite's extended result code (SQLITE_BUSY, SQLITE_NOTADB, ...).
  int code() const { return code_; }
  // Returns true when another connection held a lock this one needed.
  bool is_busy() const;

 private:
  int code_;
};

// One compiled SQL statement; values are bound, never spliced into the text.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Binds `value` to the 1-based parameter `index`; the text is copied.
  SqliteStatement& bind_text(int index, std::string_view value);
  // Binds `value` to the 1-based parameter `index`.
  SqliteStatement& bind_int(int index, std::int64_t value);
  // Binds `value` to the 1-based parameter `index`.
  SqliteStatement& bind_double(int index, double value);
  // Binds SQL NULL to the 1-based parameter `index`.
  SqliteStatement& bind_null(int index);

  // Advances to the next row; returns false when there is none left.
  bool step();
  // Runs a statement that returns no rows, then resets it for reuse.
  void run();
  // Rewinds the statement so it can run again with new bindings.
  void reset();

  // Returns column `index` of the current row as text ("" for NULL).
  std::string column_text(int index) const;
  // Returns column `index` of the current row as an integer.
  std::int64_t column_int(int index) const;
  // Returns column `index` of the current row as a floating-point number.
  double column_double(int index) const;
  // Returns true if column `index` of the current row is NULL.
  bool column_is_null(int index) const;

 private:
  friend class SqliteDb;
  explicit SqliteStatement(sqlite3_stmt* statement) : statement_(statement) {}
  [[noreturn]] void fail(int code) const;

  sqlite3_stmt* statement_ = nullptr;
};

// One open connection to a database file.
class SqliteDb {
 public:
  // Opens the database at `path`, creating an empty file if it is missing.
  static SqliteDb open(const std::filesystem::path& path);

  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs `sql`, which may hold several statements but no values from outside.
  void execute(std::string_view sql);
  // Compiles the single statement `sql` for this connection.
  SqliteStatement prepare(std::string_view sql);
  // Sets how long a statement waits for another connection's lock: `milliseconds`.
  void set_busy_timeout(int milliseconds);
  // Leaves the WAL for the next connection instead of copying it into the
  // database file when this last connection closes.
  void skip_checkpoint_on_close();
  // Returns how many rows the last INSERT, UPDATE or DELETE changed.
  int changes() const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  [[noreturn]] void fail(int code) const;

  sqlite3* db_ = nullptr;
};

// Whether a transaction takes the write lock when it begins.
enum class TransactionKind {
  read,   // BEGIN DEFERRED: a consistent snapshot for several SELECTs
  write,  // BEGIN IMMEDIATE: waits for the write lock up front
};

// An open transaction; rolled back when destroyed without commit().
class SqliteTransaction {
 public:
  // Begins a transaction of kind `kind` on `db`.
  SqliteTransaction(SqliteDb& db, TransactionKind kind);
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  // Makes the transaction's changes permanent.
  void commit();

 private:
  SqliteDb& db_;
  bool open_ = true;
};

}  // namespace qgate
