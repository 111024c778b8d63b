// Schema creation, forward migrations, and the files Store::open must refuse.
#include <doctest/doctest.h>

#include <map>

#include <fstream>
#include <string>
#include <vector>

#include "reports/schema.hpp"
#include "reports/store.hpp"
#include "tests/unit/reports/store_test_util.hpp"

using tb::test::TempDir;

namespace {

// The message of the tb::Error that fn throws, with its kind checked.
template <class Fn>
std::string error_of(Fn&& fn, tb::ErrorKind kind = tb::ErrorKind::BadInput) {
  try {
    fn();
  } catch (const tb::Error& e) {
    CHECK(static_cast<int>(e.kind()) == static_cast<int>(kind));
    CHECK(e.exit_code() == 2);
    return e.what();
  }
  FAIL("no tb::Error thrown");
  return {};
}

bool has_table(const tb::sqlite::Database& db, const std::string& name) {
  auto stmt = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  stmt.bind(1, name);
  return stmt.step();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("a new store is created at the current schema version with WAL and foreign keys") {
  TempDir dir;
  const auto path = dir / "new.db";
  auto store = tb::Store::open(path);
  CHECK(std::filesystem::exists(path));
  CHECK(tb::current_schema_version() == 4);
  CHECK(store.schema_version() == 4);
  CHECK(store.journal_mode() == "wal");
  CHECK(store.database().query_text("PRAGMA foreign_keys") == "1");
  CHECK(store.database().query_text("PRAGMA synchronous") == "1");  // NORMAL
  for (const char* table :
       {"schema_version", "runs", "samples", "metrics", "profiles", "run_models"})
    CHECK_MESSAGE(has_table(store.database(), table), table);
  CHECK(store.integrity_check() == "ok");
}

TEST_CASE("an empty (v0) file is migrated; an already-current file is opened unchanged") {
  TempDir dir;
  const auto path = dir / "empty.db";
  write_file(path, "");  // a zero-byte file is a valid, empty SQLite database
  int64_t run_id = 0;
  {
    auto store = tb::Store::open(path);
    CHECK(store.schema_version() == 4);
    run_id = store.begin_run(tb::test::sample_run_info());
  }
  // Re-applying v1 would fail ("table runs already exists") and would lose the run.
  auto store = tb::Store::open(path);
  CHECK(store.schema_version() == 4);
  REQUIRE(store.list_runs().size() == 1);
  CHECK(store.list_runs()[0].id == run_id);
  CHECK(store.database().query_text("SELECT count(*) FROM schema_version") == "1");
}

TEST_CASE("migration steps apply in order, each in its own transaction") {
  TempDir dir;
  auto db = tb::sqlite::Database::open(dir / "steps.db");
  const tb::Migration v1 = {1,
                            "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                            "INSERT INTO schema_version VALUES (0);"
                            "CREATE TABLE a (x INTEGER);"};
  // The second step fails half-way: its first table must not survive, nor the version bump.
  const tb::Migration v2_broken = {2, "CREATE TABLE b (x INTEGER); CREATE TABLE a (x INTEGER);"};
  const tb::Migration v2 = {2, "CREATE TABLE b (x INTEGER); ALTER TABLE a ADD COLUMN y TEXT;"};

  const std::vector<tb::Migration> broken = {v1, v2_broken};
  CHECK_THROWS_AS(tb::migrate(db, broken), tb::Error);
  CHECK(tb::read_schema_version(db) == 1);
  CHECK(has_table(db, "a"));
  CHECK_FALSE(has_table(db, "b"));
  CHECK_FALSE(db.in_transaction());

  const std::vector<tb::Migration> fixed = {v1, v2};
  CHECK(tb::migrate(db, fixed) == 2);
  CHECK(has_table(db, "b"));
  CHECK(tb::migrate(db, fixed) == 2);  // idempotent on a current file

  // A program that only knows v1 refuses the v2 file.
  const std::vector<tb::Migration> old = {v1};
  const auto message = error_of([&] { tb::migrate(db, old); });
  CHECK(message.find("steps.db: schema_version: version 2 was written by a newer tunebench") !=
        std::string::npos);
}

TEST_CASE("v4: a v3 generation sample keeps its completion alone; scoring samples are untouched") {
  TempDir dir;
  const auto path = dir / "v3.db";
  {
    auto db = tb::sqlite::Database::open(path);
    const std::vector<tb::Migration> up_to_v3(tb::store_migrations().begin(),
                                              tb::store_migrations().begin() + 3);
    REQUIRE(tb::migrate(db, up_to_v3) == 3);
    db.exec(
        "INSERT INTO runs (id, run_key, model_path, model_hash, config_json, tokenizer, "
        "tunebench_git_sha, device, dtype, batch_tokens, seed, suite, suite_version, options_json, "
        "started_at, status) VALUES (1, 'k', 'm', 'h', '{}', 't', 's', 'cpu', 'f32', 1, 0, "
        "'abc-gen', '1', '{}', '2026-01-01', 'finished')");
    db.exec(
        "INSERT INTO samples (run_id, doc_id, subset, doc_hash, prompt_hash, target_hash, prompt, "
        "target, option_scores, prediction, gold, values_json, response) VALUES "
        "(1, 'gen', '', '', '', '', 'X:1\n', '', '[]', -1, -1, '{}', 'X:1\nT:a\nK:C\nCDE|'),"
        "(1, 'mc', '', '', '', '', 'Q?', ' A', '[-1,-2]', 0, 0, '{}', ''),"
        "(1, 'odd', '', '', '', '', 'X:2\n', '', '[]', -1, -1, '{}', 'T:b')");
  }
  auto store = tb::Store::open(path);
  CHECK(store.schema_version() == 4);
  auto rows = store.database().prepare("SELECT doc_id, response FROM samples ORDER BY doc_id");
  std::map<std::string, std::string> response;
  while (rows.step()) response[rows.text(0)] = rows.text(1);
  CHECK(response["gen"] == "T:a\nK:C\nCDE|");
  CHECK(response["mc"] == "");
  CHECK(response["odd"] == "T:b");  // did not start with its prompt: already a completion
}

TEST_CASE("a store from a newer tunebench is refused with the file name") {
  TempDir dir;
  const auto path = dir / "future.db";
  { tb::Store::open(path).database().exec("UPDATE schema_version SET version = 99"); }
  const auto message = error_of([&] { tb::Store::open(path); });
  CHECK(message == path.string() +
                       ": schema_version: version 99 was written by a newer tunebench (this one "
                       "reads up to version 4)");
}

TEST_CASE("a file that is not SQLite is refused with the file name") {
  TempDir dir;
  const auto path = dir / "notes.txt";
  write_file(path,
             std::string("X:1\nT:not a database\nK:C\nCDEF GABc|\n") + std::string(5000, 'z'));
  const auto message = error_of([&] { tb::Store::open(path); });
  CHECK(message ==
        path.string() + ": not a SQLite database, or a corrupt one (file is not a database)");
}

TEST_CASE("a SQLite file of another program is not taken for a store") {
  TempDir dir;
  const auto path = dir / "other.db";
  tb::sqlite::Database::open(path).exec("CREATE TABLE songs (title TEXT)");
  const auto message = error_of([&] { tb::Store::open(path); });
  CHECK(message.rfind(path.string() + ": schema_version: missing", 0) == 0);
  CHECK(message.find("'songs'") != std::string::npos);
}

TEST_CASE("a corrupt store is refused with the file name") {
  TempDir dir;
  const auto path = dir / "corrupt.db";
  {
    auto store = tb::Store::open(path);
    const auto run_id = store.begin_run(tb::test::sample_run_info());
    std::vector<tb::SampleRow> rows;
    for (int i = 0; i < 400; ++i)
      rows.push_back(tb::test::sample_row("doc" + std::to_string(i), 0, i % 4));
    store.add_samples(run_id, rows);
  }  // closing the last connection checkpoints the WAL into the main file
  REQUIRE(std::filesystem::file_size(path) > 8 * 4096);
  {
    // Overwrite pages 3-5 (b-tree pages of the tables) with garbage, keeping the header intact.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(2 * 4096);
    const std::string garbage(3 * 4096, '\xa5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const auto message = error_of([&] { tb::Store::open(path); });
  CHECK(message.rfind(path.string() + ":", 0) == 0);
  CHECK(message.find("corrupt") != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);  // one line
}

TEST_CASE("a store that cannot be created is an I/O error naming the file") {
  TempDir dir;
  const auto path = dir / "no-such-dir" / "store.db";
  const auto message = error_of([&] { tb::Store::open(path); }, tb::ErrorKind::Io);
  CHECK(message.rfind(path.string() + ": sqlite: opening:", 0) == 0);
}

TEST_CASE("a version-1 store gains samples.response ('' for its old samples) when opened") {
  TempDir dir;
  const auto path = dir / "v1.db";
  {
    auto db = tb::sqlite::Database::open(path);
    tb::migrate(db, tb::store_migrations().first(1));
    CHECK(tb::read_schema_version(db) == 1);
    db.exec(
        "INSERT INTO runs (run_key, model_path, model_hash, config_json, tokenizer, "
        "tunebench_git_sha, device, dtype, batch_tokens, seed, suite, suite_version, "
        "options_json, started_at, status) VALUES ('k', 'm', 'h', '{}', 't', 'g', 'cpu', 'f32', "
        "1, 1, 's', '1', '{}', '2024-01-01T00:00:00Z', 'finished');"
        "INSERT INTO samples (run_id, doc_id, subset, doc_hash, prompt_hash, target_hash, "
        "prompt, target, option_scores, prediction, gold, values_json) VALUES (1, 'd', '', 'a', "
        "'b', 'c', 'p', 't', '[]', -1, -1, '{}');");
  }
  auto store = tb::Store::open(path);
  CHECK(store.schema_version() == 4);
  const auto rows = store.samples(1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].result.prompt == "p");
  CHECK(rows[0].result.response.empty());

  // New samples keep their response.
  auto row = tb::test::sample_row("generated", -1, 0);
  row.result.response = "X:1\nT:Tune\nK:G\n|:GAB c2|\n";
  store.add_samples(1, std::vector<tb::SampleRow>{row});
  const auto again = store.samples(1);
  REQUIRE(again.size() == 2);
  CHECK(again[1].result.response == "X:1\nT:Tune\nK:G\n|:GAB c2|\n");
}
