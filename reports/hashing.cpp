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

namespace {

// Every string of `value` (keys included), in dump order, as its raw bytes.
void add_raw_strings(FieldHasher& hasher, const nlohmann::json& value) {
  if (value.is_string()) {
    hasher.add(value.get_ref<const std::string&>());
  } else if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      hasher.add(key);
      add_raw_strings(hasher, member);
    }
  } else if (value.is_array()) {
    for (const auto& member : value) add_raw_strings(hasher, member);
  }
}

}  // namespace

std::string hash_doc(const Doc& doc) {
  FieldHasher hasher;
  hasher.add(doc.id).add(doc.subset);
  try {
    hasher.add(doc.data.dump());
  } catch (const nlohmann::json::type_error&) {
    // Text that is not UTF-8 (one Latin-1 byte in a data file) cannot be dumped strictly; it
    // threw type_error.316 and left the run "running". Such documents hash their replaced dump,
    // a marker no UTF-8 dump starts with, and their strings' raw bytes, so that two documents
    // differing in one invalid byte still differ. Valid documents keep their hashes.
    const auto replace = nlohmann::json::error_handler_t::replace;
    hasher.add("\xff(not UTF-8)").add(doc.data.dump(-1, ' ', false, replace));
    add_raw_strings(hasher, doc.data);
  }
  return hasher.hex();
}

}  // namespace tb
