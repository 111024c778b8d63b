#include "runners/model_loading.hpp"

#include <CLI/CLI.hpp>
#include <thread>

#include "harness/core/error.hpp"
#include "harness/model/model.hpp"
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

LoadedModel load_language_model(const ModelOptions& options) {
  LoadedModel loaded;
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const ModelPrecision precision = parse_precision(options);
  loaded.checkpoint = std::make_unique<Checkpoint>(Checkpoint::open(options.dir));
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(options.dir);
  loaded.backend = make_backend(options.device, threads);
  std::unique_ptr<Model> model = load_model(*loaded.checkpoint, *loaded.backend, precision);
  loaded.lm = std::make_unique<LanguageModel>(std::move(model), std::move(tokenizer), options.lm);
  return loaded;
}

}  // namespace tb
