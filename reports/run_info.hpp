#pragma once
// What identifies and describes one evaluation run in the store.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tb {

// Everything the runner knows when a run starts.
struct RunInfo {
  std::string model_path;
  std::string model_hash;  // Checkpoint::content_hash()
  nlohmann::json config;   // the model's config.json
  std::string tokenizer;   // kind and specials source, e.g. "sentencepiece; specials: ..."
  std::string tunebench_git_sha;
  std::string device;  // "cpu", "cuda:0"
  std::string dtype;   // "f32", "f16", "bf16"
  int64_t batch_tokens = 0;
  int64_t seed = 0;
  std::string suite;
  std::string suite_version;
  nlohmann::json options = nlohmann::json::object();  // what decides results; not the shard
};

enum class RunStatus { Running, Finished, Failed };
const char* to_string(RunStatus status);
RunStatus parse_run_status(std::string_view text);  // throws Internal on an unknown status

// A run as stored.
struct Run {
  int64_t id = 0;
  std::string run_key;
  RunInfo info;
  std::optional<int64_t> checkpoint_step;
  std::string started_at;  // ISO-8601 UTC
  std::optional<std::string> finished_at;
  RunStatus status = RunStatus::Running;
};

// The resume key: a hash of (model content hash, suite name, suite version, options JSON).
// Two runs with one key evaluate the same model on the same documents the same way.
std::string run_key(const RunInfo& info);

// The training step named by the model path, when one of its components ends with
// `checkpoint-1000`, `step_2000` / `step-2000` / `step2000`, `iter_0003000` or
// `global_step500` (the nearest such component to the end wins); std::nullopt otherwise.
std::optional<int64_t> parse_checkpoint_step(std::string_view model_path);

}  // namespace tb
