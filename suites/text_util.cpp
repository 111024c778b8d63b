#include "suites/text_util.hpp"

#include "harness/core/error.hpp"

namespace tb::suites {

namespace {

bool is_python_space(char32_t c) {
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return true;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Decodes the UTF-8 sequence starting at `pos`; returns the code point and its length, or
// (0xFFFD, 1) for an invalid byte (never whitespace, so stripping stops there).
std::pair<char32_t, size_t> decode_at(std::string_view s, size_t pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) return {b0, 1};
  size_t len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return {0xFFFD, 1};
  }
  if (pos + len > s.size()) return {0xFFFD, 1};
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, len};
}

// Start of the UTF-8 sequence that ends just before `end` (end > 0).
size_t previous_start(std::string_view s, size_t end) {
  size_t pos = end - 1;
  int back = 0;
  while (pos > 0 && back < 3 && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) {
    --pos;
    ++back;
  }
  return pos;
}

}  // namespace

std::string python_strip(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    auto [cp, len] = decode_at(text, begin);
    if (!is_python_space(cp)) break;
    begin += len;
  }
  size_t end = text.size();
  while (end > begin) {
    const size_t start = previous_start(text, end);
    auto [cp, len] = decode_at(text, start);
    if (start + len != end || !is_python_space(cp)) break;
    end = start;
  }
  return std::string(text.substr(begin, end - begin));
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  if (from.empty()) return std::string(text);
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::string opencompass_safe_format(std::string text,
                                    const std::vector<std::pair<std::string, std::string>>& entry) {
  for (const auto& [key, value] : entry) text = replace_all(text, "{" + key + "}", value);
  return text;
}

}  // namespace tb::suites
