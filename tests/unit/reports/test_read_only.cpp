// Database::open_read_only (issue 17): `runs`, `show` and `report` read a store without writing
// to it: no file created, no journal-mode switch, no write possible.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "reports/sqlite_db.hpp"
#include "reports/store.hpp"
#include "tests/unit/reports/store_test_util.hpp"

using tb::test::TempDir;

TEST_CASE("open_read_only reads a WAL store and a rollback-journal file without changing them") {
  TempDir dir;
  const auto wal = dir / "wal.sqlite";
  {
    auto db = tb::sqlite::Database::open(wal);
    CHECK(db.query_text("PRAGMA journal_mode = WAL") == "wal");
    db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)");
  }
  {
    auto db = tb::sqlite::Database::open_read_only(wal);
    CHECK(db.query_text("SELECT x FROM t") == "7");
    CHECK(db.query_text("PRAGMA journal_mode") == "wal");
    try {
      db.exec("INSERT INTO t VALUES (8)");
      FAIL("a write went through");
    } catch (const tb::Error& e) {
      CHECK(std::string(e.what()).find("wal.sqlite") != std::string::npos);
    }
  }
  const auto plain = dir / "plain.sqlite";
  {
    auto db = tb::sqlite::Database::open(plain);
    db.exec("CREATE TABLE t (x INTEGER)");
  }
  {
    auto db = tb::sqlite::Database::open_read_only(plain);
    // Store::open switches every file it opens to WAL, which needs a writable medium.
    CHECK(db.query_text("PRAGMA journal_mode") == "delete");
  }
  CHECK(!std::filesystem::exists(dir / "plain.sqlite-wal"));
  // A missing file is an error naming it, and is not created.
  try {
    tb::sqlite::Database::open_read_only(dir / "absent.sqlite");
    FAIL("no error");
  } catch (const tb::Error& e) {
    CHECK(std::string(e.what()).find("absent.sqlite") != std::string::npos);
    CHECK(e.exit_code() == 2);
  }
  CHECK(!std::filesystem::exists(dir / "absent.sqlite"));
}

// Issue 31: SQLite opens the path with open(), which waits on a FIFO for a writer forever.
TEST_CASE("a FIFO where the store is expected is refused at once, read-only or not") {
  TempDir dir;
  const auto fifo = dir / "results.sqlite";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const bool read_only : {true, false}) {
    CAPTURE(read_only);
    auto done = std::async(std::launch::async, [&]() -> std::string {
      try {
        if (read_only) {
          tb::Store::open_read_only(fifo);
        } else {
          tb::Store::open(fifo);
        }
      } catch (const tb::Error& e) {
        return e.what();
      }
      return "opened";
    });
    if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      FAIL_CHECK("blocked on the FIFO");
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // releases the reader
      if (fd >= 0) ::close(fd);
    }
    const std::string what = done.get();
    CHECK(what.find("results.sqlite") != std::string::npos);
    CHECK(what.find("not a regular file") != std::string::npos);
  }
}

// A zero-byte file is an empty SQLite database to SQLite; read-only it is not a store.
TEST_CASE("open_read_only refuses an empty file and leaves it empty") {
  TempDir dir;
  const auto empty = dir / "empty.sqlite";
  std::ofstream(empty).close();
  try {
    tb::Store::open_read_only(empty);
    FAIL("no error");
  } catch (const tb::Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(std::string(e.what()).find("not a tunebench store") != std::string::npos);
  }
  CHECK(std::filesystem::file_size(empty) == 0);
}
