#include "runners/model_loading.hpp"

#include "runners/system_memory.hpp"

#include <CLI/CLI.hpp>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/model/lora_merge.hpp"
#include "harness/model/model.hpp"
#include "harness/tokenizer/newline_symbol.hpp"
#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

namespace {

DType parse_float_dtype(const std::string& flag, const std::string& value) {
  const auto dtype = parse_dtype(value);
  if (!dtype || !is_float_dtype(*dtype)) {
    throw Error(ErrorKind::BadInput, flag + " '" + value + "': expected f32, bf16 or f16" +
                                         (flag == "--dtype" ? " (or auto)" : ""));
  }
  return *dtype;
}

// What can be refused before any weight is touched: a tokenizer whose ids the checkpoint's
// embedding cannot hold, and a context window whose KV cache alone exceeds the memory there is.
void check_model_fits(const Checkpoint& checkpoint, const Tokenizer& tokenizer,
                      const ModelOptions& options, const ModelPrecision& precision, Device device) {
  const ModelConfig& c = checkpoint.config();
  const std::string config_file = checkpoint.config_source();
  if (tokenizer.vocab_size() > c.vocab_size) {
    throw Error(ErrorKind::BadInput, config_file + ": vocab_size " + std::to_string(c.vocab_size) +
                                         " but the tokenizer (" + tokenizer.kind() + ") has " +
                                         std::to_string(tokenizer.vocab_size()) +
                                         " tokens: the tokenizer and the checkpoint disagree");
  }
  const int64_t window =
      options.lm.context_window > 0 ? options.lm.context_window : c.max_positions;
  const int64_t per_position = 2 * c.num_layers * c.num_kv_heads * c.head_dim *
                               static_cast<int64_t>(dtype_size(precision.kv_cache));
  const int64_t available = device == Device::Cpu ? available_memory_bytes().value_or(-1) : -1;
  if (available > 0 && window > 0 && per_position > 0 && window > available / per_position) {
    const std::string field =
        options.lm.context_window > 0
            ? std::string("--context ") + std::to_string(window)
            : config_file + ": max_position_embeddings " + std::to_string(window);
    throw Error(ErrorKind::BadInput,
                field + ": one sequence's KV cache would need " +
                    std::to_string(window * (per_position / 1024) / (1024 * 1024)) +
                    " GiB, more than the " + std::to_string(available / (int64_t{1} << 30)) +
                    " GiB available; pass a smaller --context");
  }
}

}  // namespace

ModelPrecision parse_precision(const ModelOptions& options) {
  ModelPrecision precision;
  if (options.dtype != "auto") precision.weights = parse_float_dtype("--dtype", options.dtype);
  precision.kv_cache = parse_float_dtype("--kv-dtype", options.kv_dtype);
  return precision;
}

std::string precision_summary(const LoadedModel& loaded, const ModelOptions& options) {
  return "f32 activations, " + std::string(dtype_name(loaded.lm->model().weight_dtype())) +
         " weights, " + std::string(dtype_name(parse_precision(options).kv_cache)) + " KV cache";
}

void add_precision_options(CLI::App& cmd, ModelOptions& options) {
  cmd.add_option("--dtype", options.dtype,
                 "weights: auto (as stored in the checkpoint), f32, bf16 or f16")
      ->capture_default_str();
  cmd.add_option("--kv-dtype", options.kv_dtype, "KV cache: f32, bf16 or f16")
      ->capture_default_str();
}

void add_model_source_options(CLI::App& cmd, ModelOptions& options) {
  cmd.add_option("--tokenizer", options.tokenizer_dir,
                 "Directory of the tokenizer files (default: the --model directory; a Megatron-LM "
                 "checkpoint has none)");
  cmd.add_option("--config", options.config_file,
                 "A config.json read instead of the model's (a Megatron-LM checkpoint's default: "
                 "its pickled args)");
}

LoadedModel load_language_model(const ModelOptions& options) {
  LoadedModel loaded;
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const ModelPrecision precision = parse_precision(options);
  loaded.checkpoint =
      std::make_unique<Checkpoint>(Checkpoint::open(options.dir, options.config_file));
  merge_lora_adapters(*loaded.checkpoint, options.adapters);
  const std::filesystem::path tokenizer_dir =
      options.tokenizer_dir.empty() ? options.dir : options.tokenizer_dir;
  std::unique_ptr<Tokenizer> tokenizer =
      apply_newline_symbol(load_tokenizer(tokenizer_dir), tokenizer_dir, options.newline_symbol);
  loaded.backend = make_backend(options.device, threads);
  check_model_fits(*loaded.checkpoint, *tokenizer, options, precision, loaded.backend->device());
  std::unique_ptr<Model> model = load_model(*loaded.checkpoint, *loaded.backend, precision);
  loaded.lm = std::make_unique<LanguageModel>(std::move(model), std::move(tokenizer), options.lm);
  return loaded;
}

}  // namespace tb
