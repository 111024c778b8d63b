#pragma once
// The model step of a Hugging Face tokenizer: one pre-tokenized piece to ids.
#include <cstdint>
#include <string_view>
#include <vector>

#include "harness/tokenizer/vocab.hpp"

namespace tb {

class TokenModel {
 public:
  virtual ~TokenModel() = default;
  // Appends the ids of `piece` to `out`.
  virtual void encode(std::string_view piece, std::vector<int32_t>& out) const = 0;
  virtual const Vocab& vocab() const = 0;
};

// WordLevel: every piece is one vocabulary entry, else the unknown token.
class WordLevelModel final : public TokenModel {
 public:
  WordLevelModel(Vocab vocab, int32_t unk) : vocab_(std::move(vocab)), unk_(unk) {}
  void encode(std::string_view piece, std::vector<int32_t>& out) const override;
  const Vocab& vocab() const override { return vocab_; }

 private:
  Vocab vocab_;
  int32_t unk_;  // -1: none, an unknown piece is an error
};

}  // namespace tb
