#include "metrics/notes/pvdt_validity.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace tb::notes {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A decimal field "<letter><digits>" (with an optional '-' when `sign`), at most 9 digits.
std::optional<int64_t> field(std::string_view part, char letter, bool sign) {
  if (part.size() < 2 || part[0] != letter) return std::nullopt;
  size_t i = 1;
  const bool negative = sign && part[i] == '-';
  if (negative) ++i;
  if (i == part.size() || part.size() - i > 9) return std::nullopt;
  int64_t v = 0;
  for (; i < part.size(); ++i) {
    if (part[i] < '0' || part[i] > '9') return std::nullopt;
    v = v * 10 + (part[i] - '0');
  }
  return negative ? -v : v;
}

}  // namespace

PvdtValidity pvdt_validity(std::string_view text) {
  PvdtValidity out;
  bool formed = true, pitch = true, velocity = true, duration = true, bend = true;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i == start) break;
    const std::string_view token = text.substr(start, i - start);
    ++out.tokens;
    std::vector<std::string_view> parts;
    for (size_t at = 0;;) {
      const size_t colon = token.find(':', at);
      parts.push_back(token.substr(at, colon == std::string_view::npos ? colon : colon - at));
      if (colon == std::string_view::npos) break;
      at = colon + 1;
    }
    std::optional<int64_t> p, v, d, t, b;
    if (parts.size() == 4 || parts.size() == 5) {
      p = field(parts[0], 'p', false);
      v = field(parts[1], 'v', false);
      d = field(parts[2], 'd', false);
      t = field(parts[3], 't', false);
      if (parts.size() == 5) b = field(parts[4], 'b', true);
    }
    if (!p || !v || !d || !t || (parts.size() == 5 && !b)) {
      formed = false;
      continue;
    }
    pitch = pitch && *p <= 127;
    velocity = velocity && *v >= 1 && *v <= 127;
    duration = duration && *d >= 1;
    if (b) {
      ++out.bends;
      bend = bend && *b >= -8192 && *b <= 8191;
    }
    if (!out.notes_text.empty()) out.notes_text += ' ';
    out.notes_text += std::string(parts[0]) + ":" + std::string(parts[1]) + ":" +
                      std::string(parts[2]) + ":" + std::string(parts[3]);
  }
  out.nonempty = out.tokens > 0;
  out.well_formed = formed;
  out.pitch_range = pitch;
  out.velocity_range = velocity;
  out.duration_positive = duration;
  out.bend_range = bend;
  out.valid = out.nonempty && formed && pitch && velocity && duration && bend;
  return out;
}

}  // namespace tb::notes
