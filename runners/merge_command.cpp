#include "runners/merge_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "harness/core/error.hpp"
#include "reports/merge.hpp"
#include "reports/store.hpp"
#include "runners/doc_limit.hpp"
#include "suites/registry.hpp"

namespace tb {

namespace fs = std::filesystem;

namespace {

struct MergeArgs {
  std::string output;
  std::vector<std::string> shards;
  std::vector<std::string> data;  // "suite=path", for suites not loadable from their record
};

std::string describe(const Run& run) {
  return fmt::format("{} of {} (key {})", run.info.suite, run.info.model_path, run.run_key);
}

// Every shard holds the same runs and no document is in two shards.
void check_shards(const std::vector<fs::path>& shards) {
  std::map<std::string, Run> first_runs;  // run_key -> run, from the first shard
  std::map<std::string, std::map<std::string, std::string>> owner;  // key -> doc -> file
  for (size_t i = 0; i < shards.size(); ++i) {
    if (!fs::is_regular_file(shards[i]))
      throw Error(ErrorKind::Io, shards[i].string() + ": no such store file");
    const Store in = Store::open_read_only(shards[i]);  // shards are only read
    std::set<std::string> keys;
    for (const Run& run : in.list_runs()) {
      keys.insert(run.run_key);
      if (i == 0)
        first_runs.emplace(run.run_key, run);
      else if (!first_runs.count(run.run_key))
        throw Error(ErrorKind::BadInput, shards[i].string() + ": run " + describe(run) +
                                             " is not in " + shards[0].string() +
                                             ": shards of different runs");
      for (const std::string& doc : in.done_doc_ids(run.id)) {
        const auto [it, added] = owner[run.run_key].emplace(doc, shards[i].string());
        if (!added)
          throw Error(ErrorKind::BadInput, shards[i].string() + ": document '" + doc + "' of run " +
                                               describe(run) + " is also in " + it->second +
                                               ": overlapping shards");
      }
    }
    for (const auto& [key, run] : first_runs)
      if (!keys.count(key))
        throw Error(ErrorKind::BadInput, shards[i].string() + ": lacks run " + describe(run) +
                                             " of " + shards[0].string() +
                                             ": shards of different runs");
  }
}

// The suite a stored run was evaluated with, for its aggregation.
std::unique_ptr<Suite> reload_suite(const Run& run,
                                    const std::map<std::string, std::string>& data) {
  const std::string& name = run.info.suite;
  if (const auto it = data.find(name); it != data.end()) return load_suite(name, it->second);
  const nlohmann::json& options = run.info.options;
  std::string path;
  if (options.contains("suite") && options["suite"].is_object())
    path = options["suite"].value("data", "");
  return load_suite(name, path);
}

void run_merge(const MergeArgs& args) {
  std::map<std::string, std::string> data;
  for (const std::string& item : args.data) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorKind::BadInput, "--data " + item + ": expected SUITE=PATH");
    data[item.substr(0, eq)] = item.substr(eq + 1);
  }
  std::vector<fs::path> shards(args.shards.begin(), args.shards.end());
  check_shards(shards);
  // Load the suites before writing anything: a suite that cannot be loaded leaves OUT alone.
  std::map<std::string, std::unique_ptr<Suite>> suites;
  {
    const Store first = Store::open_read_only(shards.front());
    for (const Run& run : first.list_runs()) suites[run.run_key] = reload_suite(run, data);
  }
  const std::vector<MergedRun> merged = merge_stores(args.output, shards);
  Store out = Store::open(args.output);
  for (const MergedRun& m : merged) {
    const Run run = out.run(m.run_id);
    const Suite& suite = *suites.at(m.run_key);
    std::map<std::string, size_t> position;
    for (size_t i = 0; i < suite.docs().size(); ++i) position[suite.docs()[i].id] = i;
    std::vector<SampleResult> results;
    for (SampleRow& row : out.samples(m.run_id)) {
      if (!position.count(row.result.doc_id))
        throw Error(ErrorKind::BadInput, args.output + ": document '" + row.result.doc_id +
                                             "' of run " + describe(run) +
                                             " is not in the suite's data (pass --data)");
      results.push_back(std::move(row.result));
    }
    std::sort(results.begin(), results.end(), [&](const SampleResult& a, const SampleResult& b) {
      return position[a.doc_id] < position[b.doc_id];
    });
    out.finish_run(m.run_id, suite.aggregate(results));
    fmt::print("run {}: {} ({} shards): {} samples, {} added\n", m.run_id, describe(run), m.inputs,
               m.samples_total, m.samples_added);
  }
}

}  // namespace

void add_merge_command(CLI::App& app) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand("merge", "Combine the stores of a sharded run");
  cmd->add_option("output", args->output, "Merged store (created when absent)")->required();
  cmd->add_option("shards", args->shards, "The shards' store files")->required();
  cmd->add_option("--data", args->data, "SUITE=PATH: the suite's data, when not the recorded one");
  cmd->callback([args] { run_merge(*args); });
}

}  // namespace tb
