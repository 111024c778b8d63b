#include "metrics/abc/fields.hpp"

#include <array>
#include <cctype>
#include <string>

namespace tb::metrics::abc {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads a positive integer below 10000 from s at i.
std::optional<int64_t> read_int(std::string_view s, size_t& i) {
  int64_t v = 0;
  size_t start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 5) {
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  if (i == start || (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))) {
    return std::nullopt;
  }
  return v;
}

bool lower_starts_with(std::string_view word, std::string_view prefix) {
  if (word.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(word[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<Meter> parse_meter(std::string_view value) {
  std::string_view v = trim(value);
  // A comment may follow the value.
  if (const size_t pct = v.find('%'); pct != std::string_view::npos) v = trim(v.substr(0, pct));
  Meter m;
  if (v == "none" || v.empty()) {
    m.free = true;
    return m;
  }
  if (v == "C") return m;
  if (v == "C|") {
    m.bar = Rational(1);
    return m;
  }
  // Numerator: a sum of integers, optionally in parentheses.
  size_t i = 0;
  bool paren = false;
  if (v[i] == '(') {
    paren = true;
    ++i;
  }
  int64_t num = 0;
  for (;;) {
    auto term = read_int(v, i);
    if (!term) return std::nullopt;
    num += *term;
    if (i < v.size() && v[i] == '+') {
      ++i;
      continue;
    }
    break;
  }
  if (paren) {
    if (i >= v.size() || v[i] != ')') return std::nullopt;
    ++i;
  }
  if (i >= v.size() || v[i] != '/') return std::nullopt;
  ++i;
  auto den = read_int(v, i);
  if (!den || *den == 0 || num == 0) return std::nullopt;
  // Anything after the meter (a second meter, a comment) is ignored, as abc2midi does.
  m.bar = Rational(num, *den);
  m.compound = num % 3 == 0 && num > 3;
  return m;
}

std::optional<Rational> parse_unit_length(std::string_view value) {
  std::string_view v = trim(value);
  if (const size_t pct = v.find('%'); pct != std::string_view::npos) v = trim(v.substr(0, pct));
  size_t i = 0;
  auto num = read_int(v, i);
  if (!num || *num == 0) return std::nullopt;
  int64_t den = 1;
  if (i < v.size() && v[i] == '/') {
    ++i;
    auto d = read_int(v, i);
    if (!d || *d == 0) return std::nullopt;
    den = *d;
  }
  if (!trim(v.substr(i)).empty()) return std::nullopt;
  return Rational(*num, den);
}

Rational default_unit_length(const Meter& meter) {
  if (!meter.free && meter.bar < Rational(3, 4)) return Rational(1, 16);
  return Rational(1, 8);
}

bool valid_key(std::string_view value) {
  std::string_view v = trim(value);
  if (const size_t pct = v.find('%'); pct != std::string_view::npos) v = trim(v.substr(0, pct));
  if (v.empty() || v == "HP" || v == "Hp" || v.starts_with("none")) return true;
  size_t i = 0;
  if (v[0] >= 'A' && v[0] <= 'G') {
    i = 1;
    if (i < v.size() && (v[i] == '#' || v[i] == 'b')) ++i;
    while (i < v.size() && v[i] == ' ') ++i;
    size_t w = i;
    while (w < v.size() && std::isalpha(static_cast<unsigned char>(v[w]))) ++w;
    std::string_view mode = v.substr(i, w - i);
    if (!mode.empty() && (w >= v.size() || v[w] == ' ')) {
      static constexpr std::array<std::string_view, 11> kModes = {
          "maj", "min", "ion", "dor", "phr", "lyd", "mix", "aeo", "loc", "exp", "m"};
      bool known = false;
      for (auto m : kModes) {
        if (mode.size() >= m.size() && lower_starts_with(mode, m)) known = true;
      }
      // A word that is not a mode may be a modifier ("clef", "treble", "bass", "transpose").
      static constexpr std::array<std::string_view, 9> kWords = {
          "treble", "bass", "alto", "tenor", "perc", "clef", "middle", "transpose", "none"};
      for (auto m : kWords) {
        if (lower_starts_with(mode, m)) known = true;
      }
      if (!known) return false;
    }
    return true;
  }
  // No tonic: only modifiers such as "clef=bass" or explicit accidentals are allowed.
  return v.find('=') != std::string_view::npos || v[0] == '^' || v[0] == '_' ||
         lower_starts_with(v, "treble") || lower_starts_with(v, "bass") ||
         lower_starts_with(v, "alto") || lower_starts_with(v, "tenor") ||
         lower_starts_with(v, "perc");
}

}  // namespace tb::metrics::abc
