// Database::open_read_only (issue 17): `runs`, `show` and `report` read a store without writing
// to it: no file created, no journal-mode switch, no write possible.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "reports/sqlite_db.hpp"
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
