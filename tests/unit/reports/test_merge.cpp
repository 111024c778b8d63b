// merge_stores: shard files of one run become one run; conflicting samples are refused.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "reports/merge.hpp"
#include "reports/store.hpp"
#include "tests/unit/reports/store_test_util.hpp"

using tb::test::sample_row;
using tb::test::sample_run_info;
using tb::test::TempDir;

namespace {

// A shard file holding one run of `info` with the given documents (gold = 0, prediction 0).
void write_shard(const std::filesystem::path& path, const tb::RunInfo& info,
                 const std::vector<std::string>& doc_ids, int prediction = 0,
                 double tokens_per_s = 1000.0) {
  auto store = tb::Store::open(path);
  const int64_t id = store.begin_run(info);
  std::vector<tb::SampleRow> rows;
  for (const auto& doc_id : doc_ids) rows.push_back(sample_row(doc_id, prediction, 0));
  store.add_samples(id, rows);
  store.finish_run(id, std::vector<tb::MetricValue>{
                           {"acc", "", 1.0, 0.0, static_cast<int64_t>(doc_ids.size()), true}});
  tb::ProfileRow profile;
  profile.phase = "loglikelihood";
  profile.batch = 4;
  profile.seq = 256;
  profile.tokens_per_s = tokens_per_s;
  store.add_profile(id, profile);
}

}  // namespace

TEST_CASE("two shards of one run merge into one run with the union of their samples") {
  TempDir dir;
  auto info = sample_run_info();
  auto device1 = info;
  device1.device = "cuda:1";  // shards run on different GPUs: same run key
  auto mmlu = info;
  mmlu.suite = "mmlu";
  write_shard(dir / "shard0.db", info, {"q0", "q2", "q4"});
  write_shard(dir / "shard1.db", device1, {"q1", "q3", "q4"}, 0, 1250.0);  // q4 in both
  {
    auto store = tb::Store::open(dir / "shard1.db");
    const int64_t id = store.begin_run(mmlu);
    store.add_samples(id, std::vector<tb::SampleRow>{sample_row("m0", 1, 1)});
  }
  const std::vector<std::filesystem::path> inputs = {dir / "shard0.db", dir / "shard1.db"};
  const auto merged = tb::merge_stores(dir / "merged.db", inputs);

  REQUIRE(merged.size() == 2);
  CHECK(merged[0].run_key == tb::run_key(info));
  CHECK(merged[0].inputs == 2);
  CHECK(merged[0].samples_added == 5);
  CHECK(merged[0].samples_total == 5);
  CHECK(merged[1].run_key == tb::run_key(mmlu));
  CHECK(merged[1].samples_total == 1);

  auto out = tb::Store::open(dir / "merged.db");
  const auto runs = out.list_runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].info.device == "cpu");              // from the first file holding the run
  CHECK(runs[0].status == tb::RunStatus::Running);  // aggregates are the caller's to redo
  CHECK(out.metrics(runs[0].id).empty());
  CHECK(out.done_doc_ids(runs[0].id) == std::set<std::string>{"q0", "q1", "q2", "q3", "q4"});
  CHECK(out.done_doc_ids(runs[1].id) == std::set<std::string>{"m0"});
  CHECK(out.profiles(runs[0].id).size() == 2);
  const auto q4 = out.samples(runs[0].id);
  CHECK(q4[2].result.doc_id == "q4");
  CHECK(q4[2].prompt_hash == sample_row("q4", 0, 0).prompt_hash);

  // Merging the same shards again adds nothing (and no duplicate profiles).
  const auto again = tb::merge_stores(dir / "merged.db", inputs);
  CHECK(again[0].samples_added == 0);
  CHECK(again[0].samples_total == 5);
  CHECK(out.profiles(runs[0].id).size() == 2);
}

TEST_CASE("a document scored differently by two shards is an error and the output is untouched") {
  TempDir dir;
  const auto info = sample_run_info();
  write_shard(dir / "a.db", info, {"q0", "q1"});
  write_shard(dir / "b.db", info, {"q2"});
  write_shard(dir / "c.db", info, {"q3", "q1"}, /*prediction=*/2);  // q1: another answer
  const std::vector<std::filesystem::path> good = {dir / "a.db"};
  tb::merge_stores(dir / "out.db", good);

  const std::vector<std::filesystem::path> inputs = {dir / "b.db", dir / "c.db"};
  try {
    tb::merge_stores(dir / "out.db", inputs);
    FAIL("no error");
  } catch (const tb::Error& e) {
    CHECK(e.kind() == tb::ErrorKind::BadInput);
    const std::string message = e.what();
    CHECK(message.rfind((dir / "c.db").string() + ": samples: doc_id 'q1' of run ", 0) == 0);
    CHECK(message.find("differs in option_scores") == std::string::npos);  // same scores
    CHECK(message.find("differs in prediction from the one in " + (dir / "out.db").string()) !=
          std::string::npos);
  }
  // b.db's q2 was merged before the conflict; the whole merge rolled back.
  auto out = tb::Store::open(dir / "out.db");
  REQUIRE(out.list_runs().size() == 1);
  CHECK(out.done_doc_ids(out.list_runs()[0].id) == std::set<std::string>{"q0", "q1"});
}

TEST_CASE("merge refuses an output that is also an input, and a missing input") {
  TempDir dir;
  write_shard(dir / "a.db", sample_run_info(), {"q0"});
  const std::vector<std::filesystem::path> self = {dir / "a.db"};
  CHECK_THROWS_AS(tb::merge_stores(dir / "a.db", self), tb::Error);
  const std::vector<std::filesystem::path> missing = {dir / "a.db", dir / "nope.db"};
  CHECK_THROWS_AS(tb::merge_stores(dir / "out.db", missing), tb::Error);
  CHECK_FALSE(std::filesystem::exists(dir / "out.db"));
}
