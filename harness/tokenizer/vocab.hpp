#pragma once
// Token strings <-> ids for the table-driven models (BPE, WordLevel).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tb {

// Transparent hashing so lookups take a string_view without building a std::string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Vocab {
 public:
  // Returns false when `token` or `id` is already present (the caller reports the field).
  bool add(std::string token, int32_t id) {
    if (id < 0) return false;
    if (!ids_.emplace(token, id).second) return false;
    if (static_cast<size_t>(id) >= tokens_.size()) tokens_.resize(static_cast<size_t>(id) + 1);
    if (!tokens_[static_cast<size_t>(id)].empty()) return false;
    tokens_[static_cast<size_t>(id)] = std::move(token);
    return true;
  }
  int32_t find(std::string_view token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? -1 : it->second;
  }
  // The token of `id`, or nullptr when `id` has none.
  const std::string* token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return nullptr;
    const std::string& t = tokens_[static_cast<size_t>(id)];
    return t.empty() ? nullptr : &t;
  }
  // One past the largest id.
  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> tokens_;
};

}  // namespace tb
