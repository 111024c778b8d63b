#pragma once
// Token healing (Hugging Face `generate(token_healing=True)`, guidance): a prompt that ends in
// the middle of what the tokenizer would merge ("X:1\n" before "T:", where training text only
// ever held "\nT:") leaves the model at a token boundary it never saw. Healing backs the prompt
// off by its last token and lets the first sampled token be any piece whose text starts with the
// text removed, so the model chooses the boundary itself; the prompt's text is kept exactly.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

struct HealedPrompt {
  bool healed = false;  // false: the prompt is fed unchanged
  std::vector<int32_t>
      allowed;  // first-token candidates in id order (the removed token among them)
};

class TokenHealer {
 public:
  // Candidates are searched among ids below both `vocab_size` (the model's) and the tokenizer's.
  TokenHealer(const Tokenizer& tokenizer, int32_t vocab_size);

  // `tokens`: the prompt as it would be fed; `skip`: leading tokens outside its text (BOS).
  // Healed when the last token lies after `skip`, something is left to feed without it, and its
  // text is a non-empty suffix of the prompt's text. Candidates are the ids whose text, decoded
  // after the remaining prompt, continues it with the removed text.
  HealedPrompt heal(std::span<const int32_t> tokens, size_t skip);

 private:
  const Tokenizer& tokenizer_;
  int32_t vocab_size_;
  // Candidates by (context tail and removed token, removed text): requests share prompts, and a
  // vocabulary scan is the cost.
  std::map<std::pair<std::vector<int32_t>, std::string>, std::vector<int32_t>> cache_;
};

}  // namespace tb
