#include "runners/runs_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "reports/render_json.hpp"
#include "reports/render_table.hpp"
#include "reports/store.hpp"
#include "runners/lm_eval_export.hpp"

namespace tb {

namespace {

struct RunsArgs {
  std::string db = "tunebench.sqlite";
  int64_t run_id = 0;
  bool json = false;
  bool markdown = false;
  std::string responses;  // show: also write the generated texts here
};

Store open_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error(ErrorKind::Io, path + ": no such results file");
  return Store::open_read_only(path);  // reading results must work on read-only media
}

// The suite's headline: its first whole-suite metric.
std::string headline(const std::vector<MetricValue>& metrics) {
  for (const MetricValue& m : metrics) {
    if (m.subset.empty()) return fmt::format("{} {:.4f}", m.name, m.value);
  }
  return "-";
}

void list_runs(const RunsArgs& args) {
  Store store = open_existing(args.db);
  const std::vector<Run> runs = store.list_runs();
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Run& r : runs) {
      out.push_back({{"id", r.id},
                     {"suite", r.info.suite},
                     {"suite_version", r.info.suite_version},
                     {"model", r.info.model_path},
                     {"model_hash", r.info.model_hash},
                     {"checkpoint_step", r.checkpoint_step ? nlohmann::json(*r.checkpoint_step)
                                                           : nlohmann::json(nullptr)},
                     {"status", to_string(r.status)},
                     {"started_at", r.started_at},
                     {"finished_at",
                      r.finished_at ? nlohmann::json(*r.finished_at) : nlohmann::json(nullptr)},
                     {"headline", headline(store.metrics(r.id))}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{:>4}  {:<12} {:<30} {:>8}  {:<9} {:<20}  {}\n", "id", "suite", "model", "step",
             "status", "started", "headline");
  for (const Run& r : runs) {
    std::string model = r.info.model_path;
    if (model.size() > 30) model = "..." + model.substr(model.size() - 27);
    fmt::print("{:>4}  {:<12} {:<30} {:>8}  {:<9} {:<20}  {}\n", r.id, r.info.suite, model,
               r.checkpoint_step ? std::to_string(*r.checkpoint_step) : "-", to_string(r.status),
               r.started_at, headline(store.metrics(r.id)));
  }
}

// The generated texts of a run, one per sample in stored order, each ending in a newline and
// followed by a blank line: an ABC run becomes a file of tunes that `tunebench metrics` reads.
void write_responses(const Store& store, int64_t run_id, const std::string& path) {
  std::string text;
  size_t count = 0;
  for (const SampleRow& row : store.samples(run_id)) {
    if (row.result.response.empty()) continue;
    const std::string r = row.result.piece();  // prompt and completion: whole tunes
    text += r;
    if (r.back() != '\n') text += '\n';
    text += '\n';
    ++count;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw Error(ErrorKind::Io, path + ": cannot write the responses");
  fmt::print(stderr, "{} responses of run {} written to {}\n", count, run_id, path);
}

void show_run(const RunsArgs& args) {
  Store store = open_existing(args.db);
  const Run run = store.run(args.run_id);
  if (!args.responses.empty()) write_responses(store, args.run_id, args.responses);
  const std::vector<MetricValue> metrics = store.metrics(args.run_id);
  if (args.json) {
    const std::vector<RunMetrics> one = {lm_eval_run_metrics(store, args.run_id)};
    fmt::print("{}\n", render_lm_eval_json(one).dump(2));
    return;
  }
  fmt::print("{}", render_metric_table(run, metrics,
                                       args.markdown ? TableFormat::Markdown : TableFormat::Text));
}

}  // namespace

void add_runs_commands(CLI::App& app) {
  auto args = std::make_shared<RunsArgs>();
  CLI::App* runs = app.add_subcommand("runs", "List the runs in a results file");
  runs->add_option("--db", args->db, "SQLite results file (default tunebench.sqlite)");
  runs->add_flag("--json", args->json, "Print JSON");
  runs->callback([args] { list_runs(*args); });

  CLI::App* show = app.add_subcommand("show", "Print one run's metric table");
  show->add_option("run", args->run_id, "Run id (see `tunebench runs`)")->required();
  show->add_option("--db", args->db, "SQLite results file (default tunebench.sqlite)");
  show->add_flag("--markdown", args->markdown, "Markdown table");
  show->add_flag("--json", args->json, "lm-eval style JSON");
  show->add_option("--responses", args->responses,
                   "Also write the run's generated texts to this file (blank-line separated)");
  show->callback([args] { show_run(*args); });
}

}  // namespace tb
