#include "harness/lm/token_healing.hpp"

#include <algorithm>

namespace tb {

namespace {

// Tokens of context decoded before a candidate: enough for the decoders' context effects (the
// leading space dropped from the first piece; a UTF-8 character, at most 4 bytes, split over
// byte tokens), and short, so that prompts ending alike ("K:G\n") share one vocabulary scan.
constexpr size_t kContextTail = 4;

}  // namespace

TokenHealer::TokenHealer(const Tokenizer& tokenizer, int32_t vocab_size)
    : tokenizer_(tokenizer), vocab_size_(std::min(vocab_size, tokenizer.vocab_size())) {}

HealedPrompt TokenHealer::heal(std::span<const int32_t> tokens, size_t skip) {
  HealedPrompt out;
  if (tokens.size() < 2 || tokens.size() <= skip) return out;
  const std::span<const int32_t> kept = tokens.first(tokens.size() - 1);
  const std::string full = tokenizer_.decode(tokens.subspan(skip));
  const std::string rest = tokenizer_.decode(kept.subspan(std::min(skip, kept.size())));
  if (full.size() <= rest.size() || full.compare(0, rest.size(), rest) != 0) return out;
  const std::string removed = full.substr(rest.size());

  // The tail starts after `skip` where it can, so that candidates decode as they will in place.
  const size_t from = std::max(std::min(skip, kept.size()),
                               kept.size() > kContextTail ? kept.size() - kContextTail : 0);
  std::vector<int32_t> context(kept.begin() + static_cast<std::ptrdiff_t>(from), kept.end());
  std::vector<int32_t> key_tokens = context;
  key_tokens.push_back(tokens.back());
  auto key = std::make_pair(std::move(key_tokens), removed);
  auto found = cache_.find(key);
  if (found == cache_.end()) {
    const std::string base = tokenizer_.decode(context);
    const std::string wanted = base + removed;
    std::vector<int32_t> allowed;
    std::vector<int32_t> probe = context;
    probe.push_back(0);
    for (int32_t id = 0; id < vocab_size_; ++id) {
      // Ids with no token (gaps before added tokens) cannot be decoded, nor sampled usefully.
      if (id != tokens.back() && tokenizer_.id_to_token(id).empty()) continue;
      probe.back() = id;
      const std::string text = tokenizer_.decode(probe);
      if (id == tokens.back() || text.compare(0, wanted.size(), wanted) == 0) {
        allowed.push_back(id);
      }
    }
    found = cache_.emplace(std::move(key), std::move(allowed)).first;
  }
  out.healed = true;
  out.allowed = found->second;
  return out;
}

}  // namespace tb
