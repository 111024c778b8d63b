#include "runners/compare_profiles_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "reports/store.hpp"

namespace tb {

namespace {

struct CompareArgs {
  int64_t a = 0, b = 0;
  std::string db = "tunebench.sqlite";
  std::string db_b;  // B's file when it is not --db
  bool json = false;
};

Store open_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error(ErrorKind::Io, path + ": no such results file");
  return Store::open_read_only(path);  // nothing is written: read-only media work, bytes stay
}

// A row's test: the profile command's name, or the phase for eval's rows ("score").
std::string test_of(const ProfileRow& row) {
  return row.raw.value("test", row.phase);
}

struct Side {
  Run run;
  std::map<std::pair<std::string, int64_t>, ProfileRow> rows;  // by (test, batch)
  std::vector<std::pair<std::string, int64_t>> order;
};

Side load_side(const Store& store, int64_t run_id) {
  Side s;
  s.run = store.run(run_id);
  for (const ProfileRow& row : store.profiles(run_id)) {
    // eval's bookkeeping rows carry no figures: only throughput rows are compared.
    if (row.is_bookkeeping()) continue;
    const auto key = std::make_pair(test_of(row), row.batch);
    if (s.rows.count(key) == 0) s.order.push_back(key);
    s.rows[key] = row;
  }
  if (s.rows.empty()) {
    throw Error(ErrorKind::BadInput,
                store.path() + ": run " + std::to_string(run_id) + " has no profile rows");
  }
  return s;
}

void run_compare(const CompareArgs& args) {
  const Store store_a = open_existing(args.db);
  const Store store_b = open_existing(args.db_b.empty() ? args.db : args.db_b);
  const Side a = load_side(store_a, args.a);
  const Side b = load_side(store_b, args.b);
  nlohmann::json out = nlohmann::json::array();
  std::string table =
      "| test | batch | A t/s | B t/s | speedup B/A | A TFLOP/s | B TFLOP/s |\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  int matched = 0;
  for (const auto& key : a.order) {
    const auto other = b.rows.find(key);
    if (other == b.rows.end()) continue;
    const ProfileRow& ra = a.rows.at(key);
    const ProfileRow& rb = other->second;
    const double speedup = rb.tokens_per_s / ra.tokens_per_s;
    ++matched;
    table +=
        fmt::format("| {} | {} | {:.2f} | {:.2f} | {:.3f}x | {:.4f} | {:.4f} |\n", key.first,
                    key.second, ra.tokens_per_s, rb.tokens_per_s, speedup, ra.tflops, rb.tflops);
    out.push_back({{"test", key.first},
                   {"batch", key.second},
                   {"a_tokens_per_s", ra.tokens_per_s},
                   {"b_tokens_per_s", rb.tokens_per_s},
                   {"speedup", speedup}});
  }
  if (matched == 0) {
    throw Error(ErrorKind::BadInput, "compare-profiles: runs " + std::to_string(args.a) + " and " +
                                         std::to_string(args.b) + " share no (test, batch) row");
  }
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("A: run {} {} on {} (commit {})\n", a.run.id, a.run.info.model_path, a.run.info.device,
             a.run.info.tunebench_git_sha);
  fmt::print("B: run {} {} on {} (commit {})\n\n", b.run.id, b.run.info.model_path,
             b.run.info.device, b.run.info.tunebench_git_sha);
  fmt::print("{}", table);
}

}  // namespace

void add_compare_profiles_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd =
      app.add_subcommand("compare-profiles", "Speedups of profile run B over profile run A");
  cmd->add_option("A", args->a, "Baseline run id")->required();
  cmd->add_option("B", args->b, "Run id to compare")->required();
  cmd->add_option("--db", args->db, "Results file (A's, and B's unless --db-b)");
  cmd->add_option("--db-b", args->db_b, "B's results file when it is another one");
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->callback([args] { run_compare(*args); });
}

}  // namespace tb
