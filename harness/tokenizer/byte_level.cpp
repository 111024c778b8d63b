#include "harness/tokenizer/byte_level.hpp"

#include <array>
#include <unordered_map>

#include "harness/tokenizer/utf8.hpp"

namespace tb::byte_level {
namespace {

struct Tables {
  std::array<std::string, 256> to_char;
  std::unordered_map<std::string, unsigned char> to_byte;

  // As GPT-2's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the others to
  // U+0100 upwards in byte order.
  Tables() {
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const uint32_t cp = printable ? b : next++;
      to_char[b] = utf8::encode(cp);
      to_byte.emplace(to_char[b], static_cast<unsigned char>(b));
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_char(unsigned char b) {
  return tables().to_char[b];
}

std::string encode(std::string_view bytes) {
  const auto& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.to_char[static_cast<unsigned char>(c)];
  return out;
}

std::optional<std::string> decode(std::string_view token) {
  const auto& t = tables();
  std::string out;
  out.reserve(token.size());
  size_t i = 0;
  while (i < token.size()) {
    const size_t n = utf8::char_len_at(token, i);
    auto it = t.to_byte.find(std::string(token.substr(i, n)));
    if (it == t.to_byte.end()) return std::nullopt;
    out += static_cast<char>(it->second);
    i += n;
  }
  return out;
}

}  // namespace tb::byte_level
