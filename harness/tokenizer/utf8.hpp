#pragma once
// Minimal UTF-8 helpers the tokenizers need: character length and validation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tb::utf8 {

// Length of the UTF-8 sequence starting with byte `lead` (1 for a stray continuation byte, so
// loops over invalid text still advance).
inline size_t char_len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Length of the character at `pos`, clamped to the end of `s`.
inline size_t char_len_at(std::string_view s, size_t pos) {
  size_t n = char_len(static_cast<unsigned char>(s[pos]));
  return pos + n > s.size() ? s.size() - pos : n;
}

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid(std::string_view s);

// Encodes one code point.
std::string encode(uint32_t cp);

}  // namespace tb::utf8
