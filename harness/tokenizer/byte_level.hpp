#pragma once
// GPT-2's byte-to-unicode mapping: every byte becomes a printable character so that byte-level
// BPE vocabularies are plain strings. Used by the ByteLevel pre-tokenizer and decoder.
#include <optional>
#include <string>
#include <string_view>

namespace tb::byte_level {

// The UTF-8 text of the character standing for byte `b`.
const std::string& byte_to_char(unsigned char b);

// `bytes` with every byte replaced by its character.
std::string encode(std::string_view bytes);

// The bytes a mapped token stands for; nullopt when a character of `token` is not in the
// mapping (HF then keeps the token's own bytes).
std::optional<std::string> decode(std::string_view token);

}  // namespace tb::byte_level
