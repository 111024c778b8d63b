#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace tb {

// The checkpoint directories of a training run: each argument is a checkpoint directory (it has
// config.json), a parent directory (its children that have config.json), or a glob
// ("runs/checkpoint-*"). In step order (read from the names: checkpoint-1000, iter_0023000,
// step-1000, global_step500), directories without a step last by name; duplicates dropped.
// Throws tb::Error (BadInput) naming the argument when it finds no checkpoint.
std::vector<std::filesystem::path> find_checkpoints(const std::vector<std::string>& arguments);

// `tunebench sweep DIR|GLOB... --suite ...`: `eval` over every checkpoint in step order; finished
// checkpoints are skipped, a killed sweep resumes where it stopped.
void add_sweep_command(CLI::App& app);

}  // namespace tb
