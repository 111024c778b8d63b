#pragma once
// Resolves --model/--device/--threads into a ready LanguageModel, keeping alive what it needs.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/lm/language_model.hpp"

namespace tb {

struct ModelOptions {
  std::filesystem::path dir;
  std::string device = "auto";
  int threads = 0;                              // 0: every core
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

}  // namespace tb
