#include "harness/tokenizer/added_tokens.hpp"

#include <algorithm>

namespace tb {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// ASCII word characters plus any non-ASCII byte (letters of other scripts).
bool is_word(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
         u == '_';
}

}  // namespace

void AddedTokens::add(AddedToken token) {
  if (token.content.empty()) return;
  const auto it = by_id_.find(token.id);
  if (it != by_id_.end()) {
    tokens_[it->second] = std::move(token);  // a later entry with the same id wins
  } else {
    by_id_.emplace(token.id, tokens_.size());
    tokens_.push_back(std::move(token));
  }
  for (auto& bucket : by_first_byte_) bucket.clear();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  }
  for (auto& bucket : by_first_byte_) {
    std::stable_sort(bucket.begin(), bucket.end(), [&](size_t a, size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
  }
}

const AddedToken* AddedTokens::by_id(int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

int32_t AddedTokens::find(std::string_view content) const {
  for (const auto& t : tokens_) {
    if (t.content == content) return t.id;
  }
  return -1;
}

std::vector<TextSegment> AddedTokens::split(std::string_view text) const {
  std::vector<TextSegment> out;
  if (tokens_.empty()) {
    if (!text.empty()) out.push_back(TextSegment{text, -1, 0});
    return out;
  }
  size_t plain_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* hit = nullptr;
    for (size_t index : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      const AddedToken& t = tokens_[index];
      if (text.compare(pos, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        const size_t end = pos + t.content.size();
        if ((pos > 0 && is_word(text[pos - 1])) || (end < text.size() && is_word(text[end]))) {
          continue;
        }
      }
      hit = &t;
      break;
    }
    if (hit == nullptr) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t end = pos + hit->content.size();
    if (hit->lstrip) {
      while (start > plain_start && is_space(text[start - 1])) --start;
    }
    if (hit->rstrip) {
      while (end < text.size() && is_space(text[end])) ++end;
    }
    if (start > plain_start) {
      out.push_back(TextSegment{text.substr(plain_start, start - plain_start), -1, plain_start});
    }
    out.push_back(TextSegment{text.substr(start, end - start), hit->id, start});
    pos = end;
    plain_start = end;
  }
  if (plain_start < text.size()) {
    out.push_back(TextSegment{text.substr(plain_start), -1, plain_start});
  }
  return out;
}

}  // namespace tb
