#include "runners/model_loading.hpp"

#include <thread>

#include "harness/model/lora_merge.hpp"
#include "harness/model/model.hpp"
#include "harness/tokenizer/newline_symbol.hpp"
#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

LoadedModel load_language_model(const ModelOptions& options) {
  LoadedModel loaded;
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  loaded.checkpoint = std::make_unique<Checkpoint>(Checkpoint::open(options.dir));
  merge_lora_adapters(*loaded.checkpoint, options.adapters);
  std::unique_ptr<Tokenizer> tokenizer =
      apply_newline_symbol(load_tokenizer(options.dir), options.dir, options.newline_symbol);
  loaded.backend = make_backend(options.device, threads);
  std::unique_ptr<Model> model = load_model(*loaded.checkpoint, *loaded.backend);
  loaded.lm = std::make_unique<LanguageModel>(std::move(model), std::move(tokenizer), options.lm);
  return loaded;
}

}  // namespace tb
