#pragma once
// Added tokens (special or not): text is split on them before normalisation, leftmost-longest
// match first, as Hugging Face's AddedVocabulary does.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tb {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool single_word = false;  // matches only when not inside a word
};

struct TextSegment {
  std::string_view text;  // the source text (for an added token: its matched span)
  int32_t id = -1;        // the added token's id, -1 for ordinary text
  size_t offset = 0;      // where `text` starts in the input
};

class AddedTokens {
 public:
  void add(AddedToken token);
  bool empty() const { return tokens_.empty(); }
  // The added token with `id`, or nullptr.
  const AddedToken* by_id(int32_t id) const;
  int32_t find(std::string_view content) const;
  const std::vector<AddedToken>& all() const { return tokens_; }

  // Splits `text` into ordinary text and added-token segments (empty text segments omitted).
  std::vector<TextSegment> split(std::string_view text) const;

 private:
  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  // Candidates per first byte, longest first, so the first hit at a position is the longest.
  std::vector<std::vector<size_t>> by_first_byte_ = std::vector<std::vector<size_t>>(256);
};

}  // namespace tb
