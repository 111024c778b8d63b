#include "reports/hashing.hpp"

namespace tb {

uint64_t fnv1a64(std::string_view bytes, uint64_t seed) {
  uint64_t hash = seed;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string to_hex16(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) hex[static_cast<size_t>(i)] = kDigits[value & 0xf];
  return hex;
}

std::string hash_text(std::string_view text) {
  return to_hex16(fnv1a64(text));
}

FieldHasher& FieldHasher::add(std::string_view field) {
  const std::string length = std::to_string(field.size()) + ":";
  state_ = fnv1a64(field, fnv1a64(length, state_));
  return *this;
}

std::string hash_doc(const Doc& doc) {
  return FieldHasher().add(doc.id).add(doc.subset).add(doc.data.dump()).hex();
}

}  // namespace tb
