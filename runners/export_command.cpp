#include "runners/export_command.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "harness/core/error.hpp"
#include "runners/lm_eval_export.hpp"
#include "runners/run_selector.hpp"

namespace tb {

namespace {

struct ExportArgs {
  std::string db = "tunebench.sqlite";
  std::string run;
  std::string output_path;
  bool no_samples = false;
};

void run_export(const ExportArgs& args) {
  if (!std::filesystem::exists(args.db))
    throw Error(ErrorKind::Io, args.db + ": no such results file");
  const Store store = Store::open_read_only(args.db);  // the store is only read
  std::vector<int64_t> ids;
  for (const Run& run : select_runs(store, args.run)) ids.push_back(run.id);
  for (const auto& file : write_lm_eval_output(store, ids, args.output_path, !args.no_samples))
    fmt::print("{}\n", file.string());
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a stored run as lm-eval's results_<date>.json and samples files");
  cmd->add_option("run", args->run, "A run id, step:N or model path")->required();
  cmd->add_option("--db", args->db, "SQLite results file (default tunebench.sqlite)");
  cmd->add_option("--output_path,--output-path", args->output_path, "Directory to write into")
      ->required();
  cmd->add_flag("--no-samples", args->no_samples, "Only the results file");
  cmd->callback([args] { run_export(*args); });
}

}  // namespace tb
