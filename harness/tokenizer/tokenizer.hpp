#pragma once
// Tokenizer: encode / decode / special tokens. Immutable after load; exact parity with the
// Hugging Face tokenizers on the golden vectors.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tb {

struct SpecialTokens {
  int32_t bos = -1;  // -1: the tokenizer has none
  int32_t eos = -1;
  int32_t pad = -1;
  int32_t unk = -1;
  bool add_bos = false;  // whether a sequence starts with BOS (tokenizer_config.json add_bos_token)
  bool add_eos = false;
  std::string source;  // which files decided the above, recorded with results
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Text to ids with no BOS/EOS added (HF `add_special_tokens=False`); added/special tokens
  // written in the text are recognised as such.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  virtual std::string decode(std::span<const int32_t> ids) const = 0;
  virtual int32_t vocab_size() const = 0;
  // "sentencepiece", "hf-bpe-byte-level", "hf-bpe-spm", "hf-wordlevel", "gpt2-vocab-merges".
  virtual std::string kind() const = 0;
  // The id of a vocabulary or added token written exactly, -1 when there is none.
  virtual int32_t token_to_id(std::string_view /*token*/) const { return -1; }
  // The vocabulary or added token of `id` as stored (byte-level/"▁" forms), "" when none.
  virtual std::string id_to_token(int32_t /*id*/) const { return {}; }
  const SpecialTokens& specials() const { return specials_; }
  void set_specials(SpecialTokens specials) { specials_ = std::move(specials); }

 private:
  SpecialTokens specials_;
};

// Loads the tokenizer of a model directory: tokenizer.json, else tokenizer.model, else
// vocab.json + merges.txt; specials from tokenizer_config.json, generation_config.json and
// config.json. Throws tb::Error naming the file and field on malformed input.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);

// Single-file loaders; their specials are the defaults of their kind (no config files read).
// A SentencePiece model (tokenizer.model).
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file);
// A Hugging Face tokenizer.json: BPE (byte-level or SentencePiece-style) or WordLevel.
std::unique_ptr<Tokenizer> load_tokenizer_json(const std::filesystem::path& json_file);
// GPT-2 byte-level BPE from vocab.json + merges.txt (any file names, e.g. encoder.json and
// vocab.bpe as OpenAI ships them).
std::unique_ptr<Tokenizer> load_gpt2_vocab_merges(const std::filesystem::path& vocab_json,
                                                  const std::filesystem::path& merges_txt);

}  // namespace tb
