// Store: runs and resume, samples and their all-or-nothing batches, metrics, profiles, and a
// writer killed in the middle of a transaction.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "reports/hashing.hpp"
#include "reports/store.hpp"
#include "tests/unit/reports/store_test_util.hpp"

using tb::test::sample_row;
using tb::test::sample_run_info;
using tb::test::TempDir;

TEST_CASE("begin_run stores the run and returns the same id when the run is resumed") {
  TempDir dir;
  auto store = tb::Store::open(dir / "runs.db");
  const auto info = sample_run_info();
  const int64_t id = store.begin_run(info);
  CHECK(store.begin_run(info) == id);

  const tb::Run run = store.run(id);
  CHECK(run.run_key == tb::run_key(info));
  CHECK(run.info.model_path == info.model_path);
  CHECK(run.info.model_hash == info.model_hash);
  CHECK(run.info.config == info.config);
  CHECK(run.info.tokenizer == info.tokenizer);
  CHECK(run.info.tunebench_git_sha == "64fca1f");
  CHECK(run.info.device == "cpu");
  CHECK(run.info.dtype == "f32");
  CHECK(run.info.batch_tokens == 4096);
  CHECK(run.info.seed == 1234);
  CHECK(run.info.suite == "mtb");
  CHECK(run.info.suite_version == "1");
  CHECK(run.info.options == info.options);
  CHECK(run.checkpoint_step == 1000);  // from ".../checkpoint-1000"
  CHECK(run.status == tb::RunStatus::Running);
  CHECK(run.started_at.size() == 24);  // 2024-01-02T03:04:05.678Z
  CHECK(run.started_at.back() == 'Z');
  CHECK_FALSE(run.finished_at.has_value());

  // Anything in the run key makes a new run: another suite version, other options, other model.
  auto v2 = info;
  v2.suite_version = "2";
  auto shots = info;
  shots.options["shots"] = 5;
  auto other_model = info;
  other_model.model_hash = "fedcba9876543210";
  other_model.model_path = "/models/plain";
  const int64_t id2 = store.begin_run(v2);
  const int64_t id3 = store.begin_run(shots);
  const int64_t id4 = store.begin_run(other_model);
  CHECK(id2 != id);
  CHECK(id3 != id);
  CHECK(id3 != id2);
  CHECK(id4 != id3);
  CHECK_FALSE(store.run(id4).checkpoint_step.has_value());
  // The device, dtype or batch size are not in the key: a resumed run may move to another GPU.
  auto moved = info;
  moved.device = "cuda:1";
  moved.batch_tokens = 8192;
  CHECK(store.begin_run(moved) == id);
  CHECK(store.list_runs().size() == 4);
}

TEST_CASE("done_doc_ids lists the stored documents; a resumed run keeps them") {
  TempDir dir;
  const auto path = dir / "resume.db";
  int64_t id = 0;
  {
    auto store = tb::Store::open(path);
    id = store.begin_run(sample_run_info());
    CHECK(store.done_doc_ids(id).empty());
    const std::vector<tb::SampleRow> batch = {sample_row("q1", 0, 0), sample_row("q2", 1, 3)};
    store.add_samples(id, batch);
    store.fail_run(id);
    CHECK(store.run(id).status == tb::RunStatus::Failed);
  }
  auto store = tb::Store::open(path);
  CHECK(store.begin_run(sample_run_info()) == id);
  CHECK(store.run(id).status == tb::RunStatus::Running);
  CHECK(store.done_doc_ids(id) == std::set<std::string>{"q1", "q2"});
  const std::vector<tb::SampleRow> more = {sample_row("q3", 2, 2)};
  store.add_samples(id, more);
  CHECK(store.done_doc_ids(id) == std::set<std::string>{"q1", "q2", "q3"});
}

TEST_CASE("samples read back exactly, non-finite numbers included") {
  TempDir dir;
  auto store = tb::Store::open(dir / "samples.db");
  const int64_t id = store.begin_run(sample_run_info());
  auto result = sample_row("q'; DROP TABLE samples; --", 2, 1, "reasoning").result;  // bound
  result.prompt = "X:1\nK:C\n\"quoted\" \xc3\xa9 |: CDEF :|\nAnswer:";
  result.option_scores = {-0.1, std::numeric_limits<double>::quiet_NaN(),
                          -std::numeric_limits<double>::infinity(), 1.0 / 3.0};
  result.values = {{"acc", 0.0}, {"bits_per_byte", 0.1 + 0.2}};
  const tb::Doc doc{result.doc_id, "reasoning", {{"stem", "What mode?"}}};
  const auto row = tb::make_sample_row(doc, result);
  CHECK(row.doc_hash == tb::hash_doc(doc));
  auto unscored = sample_row("q9", -1, -1);
  store.add_samples(id, std::vector<tb::SampleRow>{row, unscored});

  const auto rows = store.samples(id);
  REQUIRE(rows.size() == 2);
  const auto& r = rows[0].result;
  CHECK(r.doc_id == "q'; DROP TABLE samples; --");
  CHECK(r.subset == "reasoning");
  CHECK(r.prompt == row.result.prompt);
  CHECK(r.target == "B");
  REQUIRE(r.option_scores.size() == 4);
  CHECK(r.option_scores[0] == -0.1);
  CHECK(std::isnan(r.option_scores[1]));
  CHECK(r.option_scores[2] == -std::numeric_limits<double>::infinity());
  CHECK(r.option_scores[3] == 1.0 / 3.0);  // bit-exact round trip
  CHECK(r.prediction == 2);
  CHECK(r.gold == 1);
  CHECK(r.values == std::map<std::string, double>{{"acc", 0.0}, {"bits_per_byte", 0.1 + 0.2}});
  CHECK(rows[0].doc_hash == row.doc_hash);
  CHECK(rows[0].prompt_hash == tb::hash_text(row.result.prompt));
  CHECK(rows[0].target_hash == tb::hash_text("B"));
  CHECK(rows[1].result.doc_id == "q9");

  // The derived `correct` column: 0 for a wrong answer, NULL when there is no prediction.
  auto stmt = store.database().prepare("SELECT correct FROM samples ORDER BY rowid");
  REQUIRE(stmt.step());
  CHECK(stmt.optional_int64(0) == 0);
  REQUIRE(stmt.step());
  CHECK_FALSE(stmt.optional_int64(0).has_value());
}

TEST_CASE("a batch that fails part-way stores nothing") {
  TempDir dir;
  auto store = tb::Store::open(dir / "atomic.db");
  const int64_t id = store.begin_run(sample_run_info());
  store.add_samples(id, std::vector<tb::SampleRow>{sample_row("q1", 0, 0)});

  SUBCASE("a doc_id repeated inside the batch") {
    const std::vector<tb::SampleRow> batch = {sample_row("q2", 0, 0), sample_row("q3", 0, 1),
                                              sample_row("q2", 1, 1), sample_row("q4", 0, 0)};
    try {
      store.add_samples(id, batch);
      FAIL("no error");
    } catch (const tb::Error& e) {
      CHECK(e.kind() == tb::ErrorKind::BadInput);
      CHECK(std::string(e.what()).find("atomic.db: samples: doc_id 'q2' is already stored") !=
            std::string::npos);
    }
  }
  SUBCASE("a doc_id stored by an earlier batch") {
    const std::vector<tb::SampleRow> batch = {sample_row("q2", 0, 0), sample_row("q1", 0, 1)};
    CHECK_THROWS_AS(store.add_samples(id, batch), tb::Error);
  }
  SUBCASE("a run that does not exist") {
    CHECK_THROWS_AS(store.add_samples(id + 7, std::vector<tb::SampleRow>{sample_row("q2", 0, 0)}),
                    tb::Error);
  }
  CHECK(store.done_doc_ids(id) == std::set<std::string>{"q1"});
  CHECK_FALSE(store.database().in_transaction());
  // The store is still usable afterwards.
  store.add_samples(id, std::vector<tb::SampleRow>{sample_row("q2", 0, 0)});
  CHECK(store.done_doc_ids(id).size() == 2);
}

TEST_CASE("finish_run writes the metrics and the status together, replacing earlier ones") {
  TempDir dir;
  auto store = tb::Store::open(dir / "metrics.db");
  const int64_t id = store.begin_run(sample_run_info());
  const std::vector<tb::MetricValue> first = {
      {"acc", "", 0.395, 0.0125, 372, true},
      {"acc", "knowledge", 0.5, std::numeric_limits<double>::quiet_NaN(), 10, true},
      {"ppl", "", 3.25, 0.5, 372, false}};
  store.finish_run(id, first);
  auto run = store.run(id);
  CHECK(run.status == tb::RunStatus::Finished);
  REQUIRE(run.finished_at.has_value());
  CHECK(*run.finished_at >= run.started_at);

  auto metrics = store.metrics(id);
  REQUIRE(metrics.size() == 3);
  CHECK(metrics[0].name == "acc");
  CHECK(metrics[0].subset == "");
  CHECK(metrics[0].value == 0.395);
  CHECK(metrics[0].standard_error == 0.0125);
  CHECK(metrics[0].n == 372);
  CHECK(metrics[0].higher_is_better);
  CHECK(metrics[1].subset == "knowledge");
  CHECK(std::isnan(metrics[1].standard_error));
  CHECK_FALSE(metrics[2].higher_is_better);

  // A duplicate (name, subset) fails the whole call: old metrics and status stay.
  store.begin_run(sample_run_info());
  const std::vector<tb::MetricValue> twice = {{"acc", "", 0.4, 0.01, 372, true},
                                              {"acc", "", 0.41, 0.01, 372, true}};
  CHECK_THROWS_AS(store.finish_run(id, twice), tb::Error);
  CHECK(store.metrics(id).size() == 3);
  CHECK(store.run(id).status == tb::RunStatus::Running);

  const std::vector<tb::MetricValue> second = {{"acc", "", 0.4, 0.01, 373, true}};
  store.finish_run(id, second);
  metrics = store.metrics(id);
  REQUIRE(metrics.size() == 1);
  CHECK(metrics[0].n == 373);
  CHECK_THROWS_AS(store.finish_run(id + 1, second), tb::Error);
}

TEST_CASE("profiles read back, with NULL for unknown figures") {
  TempDir dir;
  auto store = tb::Store::open(dir / "profiles.db");
  const int64_t id = store.begin_run(sample_run_info());
  tb::ProfileRow p;
  p.phase = "prefill";
  p.batch = 8;
  p.seq = 512;
  p.tokens_per_s = 12345.5;
  p.tflops = 101.25;
  p.mfu = std::numeric_limits<double>::quiet_NaN();
  p.mbu = 0.75;
  p.raw = {{"ms", {10.5, 11.0, 10.75}}};
  store.add_profile(id, p);
  const auto rows = store.profiles(id);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].phase == "prefill");
  CHECK(rows[0].batch == 8);
  CHECK(rows[0].seq == 512);
  CHECK(rows[0].tokens_per_s == 12345.5);
  CHECK(rows[0].tflops == 101.25);
  CHECK(std::isnan(rows[0].mfu));
  CHECK(rows[0].mbu == 0.75);
  CHECK(rows[0].raw == p.raw);
  CHECK(store.database().query_text("SELECT count(*) FROM profiles WHERE mfu IS NULL") == "1");
}

TEST_CASE("a writer killed before COMMIT leaves no partial rows and an intact file") {
  TempDir dir;
  const auto path = dir / "killed.db";
  int64_t id = 0;
  {
    auto store = tb::Store::open(path);
    id = store.begin_run(sample_run_info());
    store.add_samples(id, std::vector<tb::SampleRow>{sample_row("committed", 0, 0)});
  }  // no connection is open across fork()

  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child opens its own connection, writes a transaction far larger than SQLite's page
    // cache (so uncommitted pages spill into the WAL file), says so, and waits to be killed.
    ::close(ready[0]);
    try {
      auto store = tb::Store::open(path);
      auto& db = store.database();
      db.exec("BEGIN IMMEDIATE");
      auto insert = db.prepare(
          "INSERT INTO samples (run_id, doc_id, subset, doc_hash, prompt_hash, target_hash, "
          "prompt, target, option_scores, prediction, gold, correct, values_json) "
          "VALUES (?1, ?2, 's', 'h', 'h', 'h', ?3, 'A', '[]', 0, 0, 1, '{}')");
      const std::string prompt(2000, 'p');
      for (int i = 0; i < 5000; ++i) {
        insert.bind_all(id, "uncommitted" + std::to_string(i), prompt).run();
        insert.reset();
      }
      const char byte = 1;
      if (::write(ready[1], &byte, 1) != 1) ::_exit(3);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(2);
    }
  }
  ::close(ready[1]);
  char byte = 0;
  const auto got = ::read(ready[0], &byte, 1);
  ::close(ready[0]);
  // Measured before the kill: the WAL holds the spilled, uncommitted pages.
  const auto wal = std::filesystem::path(path.string() + "-wal");
  const auto wal_size = std::filesystem::exists(wal) ? std::filesystem::file_size(wal) : 0;
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(got == 1);  // the child reached its big uncommitted transaction
  CHECK(WIFSIGNALED(status));
  CHECK(wal_size > 2'000'000);

  auto store = tb::Store::open(path);
  CHECK(store.integrity_check() == "ok");
  CHECK(store.done_doc_ids(id) == std::set<std::string>{"committed"});
  CHECK(store.database().query_text("SELECT count(*) FROM samples") == "1");
  // And the file takes new writes.
  store.add_samples(id, std::vector<tb::SampleRow>{sample_row("after", 0, 0)});
  CHECK(store.done_doc_ids(id).size() == 2);
}

TEST_CASE("run_models: each checkpoint path of a run, with its step; samples keep their doc") {
  TempDir dir;
  auto store = tb::Store::open(dir / "models.db");
  tb::RunInfo info = sample_run_info();
  info.model_path = "/runs/a/checkpoint-1000";
  const int64_t id = store.begin_run(info);
  // The same weights under another directory: the same run, a second path and step.
  info.model_path = "/runs/b/step-2000";
  CHECK(store.begin_run(info) == id);
  store.add_run_model(id, "/runs/c/plain");
  const auto models = store.run_models();
  REQUIRE(models.size() == 3);
  CHECK(models[0].model_path == "/runs/a/checkpoint-1000");
  CHECK(models[0].checkpoint_step == 1000);
  CHECK(models[1].model_path == "/runs/b/step-2000");
  CHECK(models[1].checkpoint_step == 2000);
  CHECK(models[2].model_path == "/runs/c/plain");
  CHECK_FALSE(models[2].checkpoint_step.has_value());
  CHECK_THROWS_AS(store.add_run_model(id + 1, "/x"), tb::Error);

  tb::Doc doc{"d1", "s", {{"question", "Q?"}, {"answer", 2}}};
  tb::SampleResult result;
  result.doc_id = "d1";
  result.subset = "s";
  const std::vector<tb::SampleRow> rows = {tb::make_sample_row(doc, result)};
  store.add_samples(id, rows);
  CHECK(store.samples(id).at(0).doc == doc.data);
}

// Issue 31: the abc-ppl data file in Latin-1 was scored whole, then the strict dump of its
// document JSON threw nlohmann's type_error: exit 70 with nothing stored. Data need not be UTF-8;
// doc_json holds U+FFFD where a byte is not.
TEST_CASE("a document that is not UTF-8 is stored, its doc_json with U+FFFD") {
  TempDir dir;
  tb::Store store = tb::Store::open(dir / "latin1.sqlite");
  const int64_t id = store.begin_run(sample_run_info());
  tb::Doc doc{"tunes.abc:1", "", {{"text", "T:Caf\xe9\nK:C\nabc|\n"}}};
  tb::SampleResult r;
  r.doc_id = doc.id;
  r.target = doc.data["text"].get<std::string>();
  r.values = {{"nll", 12.5}};
  const std::vector<tb::SampleRow> rows = {tb::make_sample_row(doc, r)};
  CHECK_NOTHROW(store.add_samples(id, rows));
  const auto back = store.samples(id);
  REQUIRE(back.size() == 1);
  CHECK(back[0].result.target == "T:Caf\xe9\nK:C\nabc|\n");  // the scored text, byte for byte
  CHECK(back[0].doc["text"] == "T:Caf\xef\xbf\xbd\nK:C\nabc|\n");
}
