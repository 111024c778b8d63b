#include "runners/sweep_command.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <set>

#include "harness/core/error.hpp"
#include "harness/io/megatron_checkpoint.hpp"
#include "reports/run_info.hpp"
#include "runners/eval_command.hpp"

namespace tb {

namespace fs = std::filesystem;

namespace {

// A Hugging Face directory (config.json) or a Megatron-LM iteration (iter_N/mp_rank_00/).
bool is_checkpoint(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  return fs::is_regular_file(dir / "config.json", ec) || find_megatron_file(dir).has_value();
}

std::vector<fs::path> expand(const std::string& argument) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_directory(argument, ec)) {
    if (is_checkpoint(argument)) return {fs::path(argument)};
    for (const auto& entry : fs::directory_iterator(argument, ec))
      if (is_checkpoint(entry.path())) out.push_back(entry.path());
    return out;
  }
  glob_t matches{};
  if (glob(argument.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i)
      if (is_checkpoint(matches.gl_pathv[i])) out.emplace_back(matches.gl_pathv[i]);
  }
  globfree(&matches);
  return out;
}

}  // namespace

std::vector<fs::path> find_checkpoints(const std::vector<std::string>& arguments) {
  std::vector<fs::path> all;
  std::set<std::string> seen;
  for (const std::string& argument : arguments) {
    const std::vector<fs::path> found = expand(argument);
    if (found.empty())
      throw Error(ErrorKind::BadInput,
                  argument +
                      ": no checkpoint directory (a directory with config.json, or a "
                      "Megatron-LM iter_N with mp_rank_00/model_optim_rng.pt) here");
    for (const fs::path& p : found)
      if (seen.insert(p.lexically_normal().string()).second) all.push_back(p.lexically_normal());
  }
  std::stable_sort(all.begin(), all.end(), [](const fs::path& a, const fs::path& b) {
    const auto sa = parse_checkpoint_step(a.string());
    const auto sb = parse_checkpoint_step(b.string());
    if (sa.has_value() != sb.has_value()) return sa.has_value();
    if (sa && *sa != *sb) return *sa < *sb;
    return a.string() < b.string();
  });
  return all;
}

namespace {

struct SweepArgs {
  EvalArgs eval;
  std::vector<std::string> checkpoints;
};

void run_sweep(const SweepArgs& args) {
  const std::vector<fs::path> dirs = find_checkpoints(args.checkpoints);
  fmt::print(stderr, "sweep: {} checkpoints\n", dirs.size());
  for (size_t i = 0; i < dirs.size(); ++i) {
    const auto step = parse_checkpoint_step(dirs[i].string());
    fmt::print("== checkpoint {}/{}: {} (step {})\n", i + 1, dirs.size(), dirs[i].string(),
               step ? std::to_string(*step) : "-");
    std::fflush(stdout);
    EvalArgs eval = args.eval;
    eval.model.dir = dirs[i];
    run_eval(eval);
  }
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Evaluate every checkpoint of a training run in step order (resumable)");
  cmd->add_option("checkpoints", args->checkpoints,
                  "Checkpoint directories, their parent, or a glob such as 'out/checkpoint-*'")
      ->required();
  add_eval_options(*cmd, args->eval);
  cmd->callback([args] { run_sweep(*args); });
}

}  // namespace tb
