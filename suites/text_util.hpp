#pragma once
// String helpers the prompt templates need to match their Python originals byte for byte.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tb::suites {

// Python's str.strip() with no argument: removes leading and trailing characters for which
// str.isspace() is true (ASCII whitespace, \x1c-\x1f, U+0085, U+00A0, U+1680, U+2000-U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000), decoding UTF-8 at both ends.
std::string python_strip(std::string_view text);

// Every occurrence of `from` replaced by `to`, left to right, as Python's str.replace.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

// OpenCompass's `safe_format`: for each (key, value) in order, every "{key}" in the string is
// replaced by value. Sequential, so a value that itself contains "{B}" is rewritten by a later
// key: the quirk is reproduced on purpose (OpenCompass prompts are built this way).
std::string opencompass_safe_format(std::string text,
                                    const std::vector<std::pair<std::string, std::string>>& entry);

}  // namespace tb::suites
