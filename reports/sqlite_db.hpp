#pragma once
// A thin RAII wrapper over the SQLite C API: one connection (Database), prepared statements with
// bound parameters (Statement) and transactions that roll back unless committed (Transaction).
// SQL text is always a constant; values only ever travel as bound parameters.
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "harness/core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace tb::sqlite {

// A failed SQLite call. Derives from tb::Error so that callers may treat it as any other error;
// code() is the extended result code, for the few callers that react to one (constraints).
class SqliteError : public Error {
 public:
  SqliteError(ErrorKind kind, int code, const std::string& message)
      : Error(kind, message), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const;  // a UNIQUE / PRIMARY KEY / FOREIGN KEY / CHECK violation

 private:
  int code_;
};

class Database;

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQLite. NaN binds as NULL (SQLite has no NaN).
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  template <std::integral T>
  Statement& bind(int index, T value) {
    return bind_int64(index, static_cast<int64_t>(value));
  }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }
  // Binds every argument in order, starting at parameter 1.
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
    return *this;
  }

  bool step();   // true while a row is ready
  void run();    // steps to completion: for statements that return no row
  void reset();  // ready to bind and step again (bindings are cleared)

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;  // NULL reads as NaN
  std::string text(int column) const;
  std::optional<int64_t> optional_int64(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  friend class Database;
  Statement(const Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Statement& bind_int64(int index, int64_t value);
  void check_bind(int rc, int index);

  const Database* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens or creates the file read-write. Throws tb::Error naming the file when it cannot.
  static Database open(const std::filesystem::path& path);
  // Opens an existing file for reading only: nothing is created, no pragma writes, and a store
  // on read-only media (where even the WAL index cannot be made) can still be read.
  static Database open_read_only(const std::filesystem::path& path);
  Database(Database&& other) noexcept;
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  ~Database();

  // Runs constant SQL (schema, pragmas): never text with values spliced in.
  void exec(const char* sql);
  Statement prepare(std::string_view sql) const;
  // The single value of a one-row, one-column query with no parameters (pragmas).
  std::string query_text(const char* sql) const;

  int64_t last_insert_rowid() const;
  int64_t changes() const;  // rows changed by the last INSERT / UPDATE / DELETE
  bool in_transaction() const;
  void set_busy_timeout_ms(int ms);
  const std::string& path() const { return path_; }

  // Throws the SqliteError for result code rc, naming the file and what was being done.
  [[noreturn]] void fail(int rc, std::string_view doing) const;

 private:
  Database(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  std::string path_;
  sqlite3* db_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so the busy timeout applies) or, inside an
// enclosing transaction, a SAVEPOINT. Rolls back on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace tb::sqlite
