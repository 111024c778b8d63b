// `tunebench profile` and `compare-profiles` end to end: every column present and consistent
// with metrics/flops, SQL output that sqlite3-style loading accepts, rows stored in the results
// file, speedups between two stored runs, and one-line exit-2 messages for bad arguments.
// Nothing here asserts a speed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "metrics/flops.hpp"
#include "reports/store.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

const std::string kModel = (test::source_dir() / "data/models/tiny-abc-llama").string();

fs::path temp_path(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("tb_profile_" + std::to_string(getpid()) + name);
  fs::remove(p);
  return p;
}

// tiny-abc-llama's shape, written out from its config.json.
tb::flops::ModelShape tiny_abc_llama() {
  return {tb::flops::Family::Llama, 2000, 192, 6, 6, 2, 32, 512, 4096, false};
}

}  // namespace

TEST_CASE("profile prints every column, and its FLOPs follow metrics/flops") {
  const auto out = test::run_tunebench("profile --model " + kModel +
                                       " -p 32 -n 4 -d 0,8 --pg 16,2 -b 1,2 -r 2 --warmup 1"
                                       " --threads 1 -o json --no-store");
  REQUIRE(out.exit_code == 0);
  const nlohmann::json rows = nlohmann::json::parse(out.out);
  REQUIRE(rows.size() == 8);  // per batch: pp32, tg4, tg4@d8, pg16+2
  const tb::flops::ModelShape shape = tiny_abc_llama();
  for (const auto& r : rows) {
    CAPTURE(r.dump());
    for (const char* key : {"build_commit", "device", "driver", "dtype", "model", "test"}) {
      CHECK(!r.at(key).get<std::string>().empty());
    }
    CHECK(r.at("model_params") == 3129792);
    CHECK(r.at("threads") == 1);
    CHECK(r.at("repetitions") == 2);
    CHECK(r.at("samples_s").size() == 2);
    for (const char* key : {"avg_ts", "tflops", "mfu_peak", "mfu_gemm", "gemm_tflops"}) {
      CHECK(r.at(key).get<double>() > 0.0);
    }
    const double mean_s = (r["samples_s"][0].get<double>() + r["samples_s"][1].get<double>()) / 2;
    CHECK(r["tflops"].get<double>() ==
          doctest::Approx(r["flops_per_rep"].get<double>() / mean_s / 1e12));
    const auto b = r["batch"].get<int64_t>();
    const std::string test = r["test"];
    if (test == "pp32") {
      CHECK(r["flops_per_rep"].get<double>() ==
            doctest::Approx(static_cast<double>(b) * tb::flops::forward_flops(shape, 32, 0)));
      CHECK(r["mbu_gemv"].is_null());
    } else if (test == "tg4@d8") {
      double flops = 0.0;
      for (int i = 0; i < 4; ++i)
        flops += static_cast<double>(b) * tb::flops::decode_flops(shape, 8 + i);
      CHECK(r["flops_per_rep"].get<double>() == doctest::Approx(flops));
      CHECK(r["mbu_gemv"].get<double>() > 0.0);
      CHECK(r["mbu_peak"].get<double>() > 0.0);
      CHECK(r["depth"] == 8);
    } else if (test == "pg16+2") {
      CHECK(r["tokens_per_rep"].get<double>() == static_cast<double>(b * 18));
    }
  }
}

TEST_CASE("profile -o sql loads into SQLite; rows are stored; compare-profiles prints speedups") {
  const fs::path db = temp_path("results.sqlite");
  const fs::path sql_db = temp_path("sql.db");
  const std::string args =
      "profile --shape dgx-gpt2 -p 16 -n 2 -r 1 --warmup 0 --threads 1 --db " + db.string();
  const auto first = test::run_tunebench(args + " -o sql");
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("CREATE TABLE IF NOT EXISTS profile") == 0);
  // The SQL, run as sqlite3 would run it, in a store's connection.
  {
    auto store = tb::Store::open(sql_db);
    store.database().exec(first.out.c_str());
    CHECK(store.database().query_text("SELECT count(*) FROM profile") == "2");
    CHECK(store.database().query_text("SELECT test FROM profile WHERE phase = 'tg'") == "tg2");
  }
  const auto second = test::run_tunebench(args + " -o md");
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("| pp16 | 1 |") != std::string::npos);
  const auto store = tb::Store::open(db);
  const auto runs = store.list_runs();
  REQUIRE(runs.size() == 2);  // one run per invocation
  CHECK(runs[0].info.suite == "profile");
  CHECK(runs[0].info.model_path == "shape:dgx-gpt2");
  const auto profiles = store.profiles(runs[1].id);
  REQUIRE(profiles.size() == 2);
  CHECK(profiles[0].raw.at("threads") == 1);
  CHECK(profiles[0].raw.at("dtype") == "f32");
  CHECK(!profiles[0].raw.at("driver").get<std::string>().empty());

  const auto compare =
      test::run_tunebench("compare-profiles " + std::to_string(runs[0].id) + " " +
                          std::to_string(runs[1].id) + " --json --db " + db.string());
  REQUIRE(compare.exit_code == 0);
  const nlohmann::json speedups = nlohmann::json::parse(compare.out);
  REQUIRE(speedups.size() == 2);
  for (const auto& s : speedups) {
    CHECK(s["speedup"].get<double>() ==
          doctest::Approx(s["b_tokens_per_s"].get<double>() / s["a_tokens_per_s"].get<double>()));
  }
  const auto missing = test::run_tunebench("compare-profiles 1 99 --db " + db.string());
  CHECK(missing.exit_code == 2);
  fs::remove(db);
  fs::remove(sql_db);
}

TEST_CASE("profile --dtype bf16 places the weights in bf16 and records it") {
  const auto o = test::run_tunebench(
      "profile --no-store -r 1 -p 8 -n 4 -o json --dtype bf16 --model " + std::string(kModel));
  CAPTURE(o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("\"bf16\"") != std::string::npos);
}

TEST_CASE("bad profile arguments: one line, exit code 2") {
  const std::string tiny = "profile --no-store -r 1 -p 8 -n 1 ";
  for (const std::string& args :
       {tiny + "--model " + kModel + " --dtype i32", tiny + "--shape no-such-shape",
        tiny + "--shape llama2-7b-missing.json", tiny, tiny + "--model " + kModel + " -o xml",
        tiny + "--model " + kModel + " --pg 5", tiny + "--model " + kModel + " -b 0",
        tiny + "--model " + kModel + " -p 9000", tiny + "--model /nonexistent-dir"}) {
    CAPTURE(args);
    const auto o = test::run_tunebench(args);
    CHECK(o.exit_code == 2);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    CHECK(o.err.find("internal error") == std::string::npos);
  }
}

TEST_CASE("compare-profiles on two eval runs compares their throughput rows, not bookkeeping") {
  const fs::path db = temp_path("eval_profiles.sqlite");
  fs::remove(db);
  const auto eval = test::run_tunebench(
      "eval --threads 1 --limit 3 --suite mtb,abc-ppl --model " +
      (test::source_dir() / "data/models/tiny-abc-llama").string() + " --db " + db.string());
  REQUIRE(eval.exit_code == 0);
  const auto compare = test::run_tunebench("compare-profiles 1 2 --json --db " + db.string());
  CAPTURE(compare.err);
  REQUIRE(compare.exit_code == 0);
  const nlohmann::json rows = nlohmann::json::parse(compare.out);
  REQUIRE(rows.size() >= 1);
  for (const auto& r : rows) {
    CAPTURE(r.dump());
    // eval's per-chunk and documents rows have NaN figures: they printed as a NaN row.
    CHECK(r["a_tokens_per_s"].is_number());
    CHECK(r["b_tokens_per_s"].is_number());
    CHECK(r["speedup"].is_number());
  }
  fs::remove(db);
}
