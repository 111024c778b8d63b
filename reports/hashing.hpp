#pragma once
// Stable content hashes for the store: 64-bit FNV-1a written as 16 lowercase hex digits. They
// identify texts and documents across runs (not a defence against crafted collisions).
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/core/records.hpp"

namespace tb {

uint64_t fnv1a64(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL);
std::string to_hex16(uint64_t value);

// The hash of a text, e.g. a rendered prompt or a target.
std::string hash_text(std::string_view text);

// Incremental hash of several fields; each is length-prefixed so that ("ab", "c") and
// ("a", "bc") differ.
class FieldHasher {
 public:
  FieldHasher& add(std::string_view field);
  std::string hex() const { return to_hex16(state_); }

 private:
  uint64_t state_ = 0xcbf29ce484222325ULL;
};

// The hash of a document: its id, subset and data (nlohmann::json dumps object keys sorted, so
// the text is stable).
std::string hash_doc(const Doc& doc);

}  // namespace tb
