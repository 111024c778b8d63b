#pragma once
// Resolves --model/--device/--threads into a ready LanguageModel, keeping alive what it needs.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/lm/language_model.hpp"
#include "harness/model/model.hpp"

namespace CLI {
class App;
}

namespace tb {

struct ModelOptions {
  std::filesystem::path dir;
  std::filesystem::path tokenizer_dir;  // --tokenizer: where the tokenizer files are ("": dir)
  std::filesystem::path config_file;    // --config: read instead of DIR/config.json
  std::string device = "auto";
  int threads = 0;                              // 0: every core
  std::string dtype = "auto";                   // --dtype: auto (the checkpoint's), f32, bf16, f16
  std::string kv_dtype = "f32";                 // --kv-dtype: f32, bf16, f16
  std::vector<std::filesystem::path> adapters;  // PEFT LoRA adapter directories, merged in order
  std::string newline_symbol;  // "\n" in the vocabulary (MuPT's "<n>"); "": tokenizer_config.json
  LanguageModelOptions lm;
};

struct LoadedModel {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Checkpoint> checkpoint;
  std::unique_ptr<LanguageModel> lm;  // last: destroyed first, before what it uses

  LoadedModel() = default;
  LoadedModel(LoadedModel&&) = default;
  LoadedModel& operator=(LoadedModel&&) = default;
  ~LoadedModel() { lm.reset(); }
};

LoadedModel load_language_model(const ModelOptions& options);
// --dtype and --kv-dtype as a ModelPrecision; an unknown name is BadInput naming the flag.
ModelPrecision parse_precision(const ModelOptions& options);
// What a run computes in, for RunInfo::dtype: "f32 activations, bf16 weights, f32 KV cache".
std::string precision_summary(const LoadedModel& loaded, const ModelOptions& options);
// Registers --dtype and --kv-dtype on a command.
void add_precision_options(CLI::App& cmd, ModelOptions& options);
// Registers --tokenizer and --config (what a Megatron-LM checkpoint, which has neither, needs).
void add_model_source_options(CLI::App& cmd, ModelOptions& options);

}  // namespace tb
