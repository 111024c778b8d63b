#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "runners/model_loading.hpp"

namespace tb {

// What `tunebench eval` (and `sweep`, once per checkpoint) is asked to do.
struct EvalArgs {
  ModelOptions model;
  std::vector<std::string> suites;
  std::vector<std::string> data;  // "suite=path"
  std::string db = "tunebench.sqlite";
  int chunk_docs = 32;
  std::string limit = "0";  // a count, or a fraction 0 < f < 1, per subtask
  int64_t seed = 1234;
  bool json = false;
  std::string shard;        // "K/N"; "" reads the launcher's environment
  std::string output_path;  // lm-eval results (and samples) files go here when set
  bool log_samples = false;
};

// Registers the options `eval` and `sweep` share (everything but --model).
void add_eval_options(CLI::App& cmd, EvalArgs& args);

// Evaluates every suite on args.model.dir into the store; returns the run ids, in suite order.
std::vector<int64_t> run_eval(const EvalArgs& args);

// `tunebench eval --model DIR --suite mtb,mmlu,abc-ppl --db results.sqlite`: scores suites into
// the store, resuming a killed run where it stopped and never recomputing a finished one.
void add_eval_command(CLI::App& app);

}  // namespace tb
