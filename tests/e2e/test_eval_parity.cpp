// The GPU check's store comparison (eval_parity.hpp) on two CPU runs of the same evaluation,
// then on copies damaged the ways a faulty device would damage them: it must pass the first and
// catch each fault, so that the device run's verdict means something.
#include <doctest/doctest.h>

#include "reports/sqlite_db.hpp"
#include "tests/e2e/eval_parity.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

using namespace tb;
using namespace tb::test;

namespace {

namespace fs = std::filesystem;

fs::path work_dir() {
  const fs::path dir = fs::temp_directory_path() / "tunebench_test_eval_parity";
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void eval_into(const fs::path& db, const std::string& suites) {
  const Outcome r = run_tunebench("eval --threads 1 --model " +
                                  (source_dir() / "data/models/tiny-abc-llama").string() +
                                  " --suite " + suites + " --limit 12 --db " + db.string());
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
}

void exec_sql(const fs::path& db, const char* sql) {
  sqlite::Database d = sqlite::Database::open(db);
  d.exec(sql);
}

}  // namespace

TEST_CASE("eval_parity: two runs of one evaluation agree, and each planted fault is caught") {
  const fs::path dir = work_dir();
  const fs::path a = dir / "a.sqlite", b = dir / "b.sqlite";
  eval_into(a, "mtb,abc-ppl");
  fs::copy_file(a, b);

  const ParityReport same = compare_stores(a, b, 0.05);
  CHECK(same.ok());
  CHECK(same.runs == 2);
  CHECK(same.questions >= 12);  // --limit counts per subset
  CHECK(same.identical == same.questions);
  CHECK(same.perplexities >= 1);

  SUBCASE("a prediction flipped where the margin is wide is a mismatch") {
    // The widest margin's question: flipping it cannot be noise.
    exec_sql(b,
             "UPDATE samples SET prediction = (prediction + 1) % 4 WHERE rowid = (SELECT rowid "
             "FROM samples WHERE option_scores LIKE '[%,%' ORDER BY rowid LIMIT 1)");
    const ParityReport r = compare_stores(a, b, 0.05);
    CHECK(r.mismatched + r.within_noise == 1);
    // With an enormous noise allowance the same flip is tolerated and counted.
    const ParityReport lenient = compare_stores(a, b, 1e9);
    CHECK(lenient.within_noise == 1);
    CHECK(lenient.mismatched == 0);
  }
  SUBCASE("a perplexity 2% off fails; 0.5% off passes") {
    exec_sql(b, "UPDATE metrics SET value = value * 1.02 WHERE name LIKE '%perplexity%'");
    CHECK(compare_stores(a, b, 0.05).perplexity_off >= 1);
    exec_sql(b, "UPDATE metrics SET value = value / 1.02 * 1.005 WHERE name LIKE '%perplexity%'");
    CHECK(compare_stores(a, b, 0.05).perplexity_off == 0);
  }
  SUBCASE("a run that did not finish on the other side is missing") {
    exec_sql(b, "UPDATE runs SET status = 'failed' WHERE suite = 'mtb'");
    const ParityReport r = compare_stores(a, b, 0.05);
    CHECK(r.missing_runs == 1);
    CHECK_FALSE(r.ok());
  }
  SUBCASE("generated texts: a divergence is found at its first byte") {
    exec_sql(a, "UPDATE samples SET response = prompt || 'abcdef' WHERE rowid = 1");
    exec_sql(b, "UPDATE samples SET response = prompt || 'abcXef' WHERE rowid = 1");
    const ParityReport r = compare_stores(a, b, 0.05, [](auto&&...) {
      return std::optional<DivergenceScores>(DivergenceScores{{-1.0, -3.0}, {-1.0, -3.0}});
    });
    CHECK(r.texts_diverged == 1);
    CHECK(r.texts_failed == 1);  // 2 nats apart on both backends: not a near tie
    bool named = false;
    for (const std::string& line : r.lines) {
      named = named || line.find("\"def\"") != std::string::npos;
    }
    CHECK(named);
  }
}
