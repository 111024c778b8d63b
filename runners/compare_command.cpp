#include "runners/compare_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness/core/error.hpp"
#include "reports/gate.hpp"
#include "runners/compare_steps.hpp"

namespace tb {

namespace {

struct CompareArgs {
  std::string db = "tunebench.sqlite";
  std::vector<std::string> runs;
  std::vector<std::string> suites;
  std::string format = "table";
  int resamples = 2000;
  uint64_t seed = 1234;
  double alpha = 0.05;
  // gate
  std::string baseline;
  std::string candidate;
  std::vector<std::string> max_drop;
  std::vector<std::string> max_rise;
  std::string junit;
};

Store open_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error(ErrorKind::Io, path + ": no such results file");
  return Store::open_read_only(path);  // nothing is written: read-only media work, bytes stay
}

CompareOptions compare_options(const CompareArgs& args) {
  if (args.resamples < 1) throw Error(ErrorKind::BadInput, "--resamples must be positive");
  if (!(args.alpha > 0 && args.alpha < 1))
    throw Error(ErrorKind::BadInput, "--alpha must be between 0 and 1");
  return {args.resamples, args.seed, args.alpha};
}

void add_shared_options(CLI::App* cmd, CompareArgs* args) {
  cmd->add_option("--db", args->db, "SQLite results file (default tunebench.sqlite)");
  cmd->add_option("--suite", args->suites, "Only these suites (repeatable)");
  cmd->add_option("--format", args->format, "table, markdown, csv or json");
  cmd->add_option("--resamples", args->resamples, "Paired bootstrap resamples (default 2000)");
  cmd->add_option("--seed", args->seed, "Paired bootstrap seed (default 1234)");
  cmd->add_option("--alpha", args->alpha, "Significance level for 'beyond noise' (0.05)");
}

void run_compare(const CompareArgs& args) {
  if (args.runs.size() < 2)
    throw Error(ErrorKind::BadInput, "compare needs at least two runs (ids, step:N or paths)");
  const CompareFormat format = parse_compare_format(args.format);
  const CompareOptions options = compare_options(args);
  const Store store = open_existing(args.db);
  std::vector<ComparisonStep> steps;
  for (size_t i = 0; i + 1 < args.runs.size(); ++i) {
    for (auto& step : compare_selected(store, args.runs[i], args.runs[i + 1], args.suites, options))
      steps.push_back(std::move(step));
  }
  fmt::print("{}", render_comparison(steps, format));
}

void run_gate(const CompareArgs& args) {
  std::vector<GateRule> rules;
  for (const std::string& r : args.max_drop) rules.push_back(parse_gate_rule(r, false));
  for (const std::string& r : args.max_rise) rules.push_back(parse_gate_rule(r, true));
  if (rules.empty())
    throw Error(ErrorKind::BadInput, "gate needs at least one --max-drop or --max-rise rule");
  const CompareFormat format = parse_compare_format(args.format);
  const CompareOptions options = compare_options(args);
  const Store store = open_existing(args.db);
  const std::vector<ComparisonStep> steps =
      compare_selected(store, args.baseline, args.candidate, args.suites, options);
  const std::vector<GateCheck> checks = evaluate_gate(rules, steps);
  fmt::print("{}", render_comparison(steps, format));
  int failures = 0;
  for (const GateCheck& c : checks) {
    fmt::print(stderr, "gate {}: {} [{}]\n", c.passed ? "PASS" : "FAIL", c.message, c.suite);
    failures += c.passed ? 0 : 1;
  }
  if (!args.junit.empty()) {
    std::ofstream out(args.junit, std::ios::binary | std::ios::trunc);
    out << gate_junit_xml(checks);
    out.close();
    if (!out) throw Error(ErrorKind::Io, args.junit + ": cannot write the JUnit report");
  }
  fmt::print(stderr, "gate: {} of {} checks failed\n", failures, checks.size());
  if (failures > 0) {
    std::fflush(stdout);
    std::fflush(stderr);
    std::exit(1);  // the gate's verdict, not an error: main maps errors to 2 and 70
  }
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Per-step deltas of stored runs with paired tests (McNemar, bootstrap)");
  cmd->add_option("runs", args->runs, "Runs in order: ids, step:N or model paths")->required();
  add_shared_options(cmd, args.get());
  cmd->callback([args] { run_compare(*args); });
}

void add_gate_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd =
      app.add_subcommand("gate", "CI regression gate: exit 1 when a named metric moved too far");
  cmd->add_option("--baseline", args->baseline, "Baseline: a run id, step:N or model path")
      ->required();
  cmd->add_option("--candidate", args->candidate, "Candidate: a run id, step:N or model path")
      ->required();
  cmd->add_option("--max-drop", args->max_drop,
                  "METRIC[:SUBSET]=AMOUNT[%]: the most the metric may fall (repeatable)");
  cmd->add_option("--max-rise", args->max_rise,
                  "METRIC[:SUBSET]=AMOUNT[%]: the most the metric may rise (repeatable)");
  cmd->add_option("--junit", args->junit, "Write a JUnit XML report here");
  add_shared_options(cmd, args.get());
  cmd->callback([args] { run_gate(*args); });
}

}  // namespace tb
