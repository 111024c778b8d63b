#include "harness/tokenizer/added_tokens.hpp"

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

size_t AddedTokens::node_for(std::string_view content) {
  size_t node = 0;
  for (const char c : content) {
    ++work_;
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(c);
    const auto [it, inserted] = edges_.try_emplace(key, terminal_.size());
    if (inserted) terminal_.push_back(kNone);
    node = it->second;
  }
  return node;
}

void AddedTokens::refresh_terminal(const std::string& content) {
  const auto it = by_content_.find(content);
  const size_t index = it == by_content_.end() || it->second.empty() ? kNone : *it->second.begin();
  terminal_[node_for(content)] = index;
}

void AddedTokens::add(AddedToken token) {
  if (token.content.empty()) return;
  const auto it = by_id_.find(token.id);
  size_t index = tokens_.size();
  if (it != by_id_.end()) {
    index = it->second;  // a later entry with the same id wins
    const std::string old = tokens_[index].content;
    by_content_[old].erase(index);
    tokens_[index] = std::move(token);
    refresh_terminal(old);
  } else {
    by_id_.emplace(token.id, index);
    tokens_.push_back(std::move(token));
  }
  by_content_[tokens_[index].content].insert(index);
  refresh_terminal(tokens_[index].content);
}

const AddedToken* AddedTokens::by_id(int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

int32_t AddedTokens::find(std::string_view content) const {
  const auto it = by_content_.find(content);
  if (it == by_content_.end() || it->second.empty()) return -1;
  return tokens_[*it->second.begin()].id;
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
    // Every token starting at pos, shortest first; the longest one that may match here wins
    // (of tokens with the same text, the first added).
    const AddedToken* hit = nullptr;
    size_t node = 0;
    for (size_t end = pos; end < text.size();) {
      ++work_;
      const uint64_t key =
          (static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[end]);
      const auto edge = edges_.find(key);
      if (edge == edges_.end()) break;
      node = edge->second;
      ++end;
      if (terminal_[node] == kNone) continue;
      for (const size_t index : by_content_.find(text.substr(pos, end - pos))->second) {
        const AddedToken& t = tokens_[index];
        const bool word_before = pos > 0 && is_word(text[pos - 1]);
        const bool word_after = end < text.size() && is_word(text[end]);
        if (t.single_word && (word_before || word_after)) continue;
        hit = &t;
        break;
      }
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
