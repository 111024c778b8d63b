#include "reports/sqlite_db.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <utility>

namespace tb::sqlite {

namespace {

// Which tb::ErrorKind a SQLite result code is: the file's fault, the system's, or ours.
ErrorKind kind_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return ErrorKind::BadInput;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return ErrorKind::Io;
    default:
      return ErrorKind::Internal;  // SQL errors, misuse: bugs in tunebench
  }
}

// SQLite opens the path with a plain open(), which on a FIFO waits for a writer forever: refuse
// anything that exists and is not a regular file (a missing file is left to the caller).
void require_regular_file(const std::string& name) {
  struct stat st {};
  if (::stat(name.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::Io, name + ": cannot open: is a directory");
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::Io, name + ": cannot open: not a regular file");
}

std::string message_for(const std::string& path, int rc, std::string_view doing,
                        const char* detail) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    return path + ": not a SQLite database, or a corrupt one (" + detail + ")";
  return path + ": sqlite: " + std::string(doing) + ": " + detail;
}

}  // namespace

bool SqliteError::is_constraint() const {
  return (code_ & 0xff) == SQLITE_CONSTRAINT;
}

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

void Statement::check_bind(int rc, int index) {
  if (rc != SQLITE_OK) db_->fail(rc, "binding parameter " + std::to_string(index));
}

Statement& Statement::bind(int index, std::nullopt_t) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (std::isnan(value)) return bind(index, std::nullopt);
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so temporaries are safe to pass.
  check_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::bind_int64(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);  // its code repeats the last step's error, already reported
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::real(int column) const {
  if (is_null(column)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);  // after _text, as the docs require
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

std::optional<int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

// ---- Database ----

Database Database::open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  const std::string name = path.string();
  require_regular_file(name);
  const int rc =
      sqlite3_open_v2(name.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database result(name, db);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) {
    if (db == nullptr) throw Error(ErrorKind::Io, name + ": sqlite: out of memory opening");
    result.fail(rc, "opening");
  }
  sqlite3_extended_result_codes(db, 1);
  return result;
}

Database Database::open_read_only(const std::filesystem::path& path) {
  const std::string name = path.string();
  require_regular_file(name);
  // On media nobody can write to (a read-only share, a CD), SQLite cannot create the -shm file
  // a WAL store needs even to read; immutable=1 tells it the file cannot change under it, which
  // holds there. Elsewhere a plain read-only connection still sees concurrent writers.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const bool writable_dir = ::access(dir.c_str(), W_OK) == 0;
  std::string uri = "file:";
  for (const char c : name) {
    // The URI form needs '?', '#' and '%' escaped.
    if (c == '?' || c == '#' || c == '%') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[static_cast<unsigned char>(c) >> 4];
      uri += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      uri += c;
    }
  }
  uri += writable_dir ? "?mode=ro" : "?mode=ro&immutable=1";
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  Database result(name, db);
  if (rc != SQLITE_OK) {
    if (db == nullptr) throw Error(ErrorKind::Io, name + ": sqlite: out of memory opening");
    result.fail(rc, "opening read-only");
  }
  sqlite3_extended_result_codes(db, 1);
  return result;
}

Database::Database(Database&& other) noexcept
    : path_(std::move(other.path_)), db_(std::exchange(other.db_, nullptr)) {}

Database::~Database() {
  sqlite3_close_v2(db_);
}

void Database::fail(int rc, std::string_view doing) const {
  const char* detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  // sqlite3_errmsg describes the connection's last error; prefer the code's own text when the
  // connection has moved on (it says "not an error" then).
  if (db_ != nullptr && sqlite3_errcode(db_) == SQLITE_OK) detail = sqlite3_errstr(rc);
  throw SqliteError(kind_of(rc), rc, message_for(path_, rc, doing, detail));
}

void Database::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
}

Statement Database::prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
  return Statement(*this, stmt);
}

std::string Database::query_text(const char* sql) const {
  Statement stmt = prepare(sql);
  if (!stmt.step()) throw Error(ErrorKind::Internal, path_ + ": sqlite: no row from " + sql);
  return stmt.text(0);
}

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

bool Database::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

void Database::set_busy_timeout_ms(int ms) {
  sqlite3_busy_timeout(db_, ms);
}

// ---- Transaction ----

Transaction::Transaction(Database& db) : db_(db), nested_(db.in_transaction()) {
  db_.exec(nested_ ? "SAVEPOINT tb_nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (done_) return;
  // Never throws: some errors (disk full, I/O) have already rolled SQLite back by themselves.
  try {
    if (nested_) {
      db_.exec("ROLLBACK TO tb_nested");
      db_.exec("RELEASE tb_nested");
    } else if (db_.in_transaction()) {
      db_.exec("ROLLBACK");
    }
  } catch (const Error&) {
  }
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE tb_nested" : "COMMIT");
  done_ = true;
}

}  // namespace tb::sqlite
