// A model directory's tokenizer: the first of tokenizer.json, tokenizer.model and
// vocab.json + merges.txt, with its specials resolved from the directory's config files.
#include "harness/core/error.hpp"
#include "harness/tokenizer/specials.hpp"
#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir) {
  namespace fs = std::filesystem;
  std::unique_ptr<Tokenizer> tok;
  std::string file;
  if (fs::exists(model_dir / "tokenizer.json")) {
    file = "tokenizer.json";
    tok = load_tokenizer_json(model_dir / file);
  } else if (fs::exists(model_dir / "tokenizer.model")) {
    file = "tokenizer.model";
    tok = load_sentencepiece(model_dir / file);
  } else if (fs::exists(model_dir / "vocab.json") && fs::exists(model_dir / "merges.txt")) {
    file = "vocab.json+merges.txt";
    tok = load_gpt2_vocab_merges(model_dir / "vocab.json", model_dir / "merges.txt");
  } else {
    throw bad_input(model_dir.string(), "tokenizer",
                    "no tokenizer.json, tokenizer.model or vocab.json+merges.txt (--tokenizer "
                    "names another directory)");
  }
  SpecialTokens s = resolve_specials(*tok, model_dir);
  s.source = file + ": " + s.source;
  tok->set_specials(std::move(s));
  return tok;
}

}  // namespace tb
