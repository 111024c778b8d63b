#pragma once
// Added tokens (special or not): text is split on them before normalisation, leftmost-longest
// match first, as Hugging Face's AddedVocabulary does.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
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

  // Trie steps taken by add() and split() so far: a count of work for tests that check growth
  // on large tables without timing them.
  size_t work() const { return work_; }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  size_t node_for(std::string_view content);  // creates the path
  void refresh_terminal(const std::string& content);

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  // Indices of the tokens with each content (a later token may share an earlier one's text).
  std::map<std::string, std::set<size_t>, std::less<>> by_content_;
  // A byte trie of the contents: the walk from a text position meets every token that starts
  // there, shortest first, in O(longest token). (Re-sorting per-byte candidate lists on every
  // add made 100k added tokens take 39 s.)
  std::vector<size_t> terminal_ = std::vector<size_t>(1, kNone);  // per node: smallest index
  std::unordered_map<uint64_t, size_t> edges_;                    // (node << 8 | byte) -> node
  mutable size_t work_ = 0;
};

}  // namespace tb
