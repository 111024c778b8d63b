#pragma once
// The parts of a Hugging Face tokenizer (normalizer, pre-tokenizer, model, decoder, added
// tokens) as tunebench supports them, and the Tokenizer that runs them in HF's order.
#include <memory>
#include <string>
#include <vector>

#include "harness/tokenizer/added_tokens.hpp"
#include "harness/tokenizer/regex_splitter.hpp"
#include "harness/tokenizer/token_model.hpp"
#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

struct NormalizerStep {
  enum class Kind { Prepend, Replace } kind;
  std::string pattern;  // Replace: the literal searched for
  std::string content;  // Prepend: the prefix; Replace: the replacement
};

enum class PrependScheme { Always, First, Never };

struct PreTokenizerStep {
  enum class Kind { ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit } kind;
  bool add_prefix_space = false;         // ByteLevel
  std::shared_ptr<RegexSplitter> regex;  // ByteLevel (use_regex), Split, Whitespace
  std::string replacement;               // Metaspace
  PrependScheme prepend = PrependScheme::Always;
  bool split = true;  // Metaspace: cut before every replacement character
};

struct DecoderStep {
  enum class Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace } kind;
  std::string pattern;  // Replace: literal; Strip: the character; Metaspace: the replacement
  std::string content;  // Replace: replacement
  size_t start = 0;     // Strip: how many leading/trailing characters at most
  size_t stop = 0;
  PrependScheme prepend = PrependScheme::Always;  // Metaspace
};

struct HfPipeline {
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> pre_tokenizer;
  std::unique_ptr<TokenModel> model;
  std::vector<DecoderStep> decoder;  // empty: tokens are joined with spaces, as HF does
  bool has_decoder = false;
  AddedTokens added;
  std::string kind;  // Tokenizer::kind()
  int32_t unk = -1;  // the model's unk_token
};

class HfTokenizer final : public Tokenizer {
 public:
  explicit HfTokenizer(HfPipeline pipeline) : p_(std::move(pipeline)) {}
  std::vector<int32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const int32_t> ids) const override;
  int32_t vocab_size() const override;
  std::string kind() const override { return p_.kind; }
  int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;

 private:
  HfPipeline p_;
};

}  // namespace tb
