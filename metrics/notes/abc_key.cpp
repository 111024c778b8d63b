// Key signatures from K: values: the tonic's place on the circle of fifths plus the mode's
// offset gives the number of sharps (positive) or flats (negative).
#include "metrics/notes/abc_key.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace tb::notes {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Fifths above C of the natural tonics C D E F G A B.
constexpr int kTonicFifths[7] = {0, 2, 4, -1, 1, 3, 5};
// Letter indices in the order sharps are added (F C G D A E B); flats go the other way.
constexpr int kSharpOrder[7] = {3, 0, 4, 1, 5, 2, 6};

// Fifths offset of a mode relative to its major (Ionian) key; nullopt when not a mode.
std::optional<int> mode_offset(std::string_view word) {
  const std::string w = lower(word.substr(0, 3));
  if (word.empty() || w == "maj" || w == "ion") return 0;
  if (w == "m" || w == "min" || w == "aeo") return -3;
  if (w == "mix") return -1;
  if (w == "dor") return -2;
  if (w == "phr") return -4;
  if (w == "lyd") return 1;
  if (w == "loc") return -5;
  return std::nullopt;
}

KeySignature from_fifths(int fifths) {
  KeySignature sig{};
  for (int i = 0; i < (fifths < 0 ? -fifths : fifths); ++i) {
    if (fifths > 0) {
      sig[static_cast<size_t>(kSharpOrder[i % 7])] += 1;
    } else {
      sig[static_cast<size_t>(kSharpOrder[6 - i % 7])] -= 1;
    }
  }
  return sig;
}

// Applies "^f", "_b", "=c", "^^g" tokens after the key; returns false when the token is none.
bool apply_accidental(std::string_view tok, KeySignature& sig) {
  size_t i = 0;
  int alter = 0;
  bool natural = false;
  while (i < tok.size() && (tok[i] == '^' || tok[i] == '_' || tok[i] == '=')) {
    if (tok[i] == '^') ++alter;
    if (tok[i] == '_') --alter;
    if (tok[i] == '=') natural = true;
    ++i;
  }
  if (i == 0 || i + 1 != tok.size() || letter_index(tok[i]) < 0) return false;
  sig[static_cast<size_t>(letter_index(tok[i]))] = natural ? 0 : alter;
  return true;
}

}  // namespace

int letter_index(char letter) {
  switch (std::toupper(static_cast<unsigned char>(letter))) {
    case 'C':
      return 0;
    case 'D':
      return 1;
    case 'E':
      return 2;
    case 'F':
      return 3;
    case 'G':
      return 4;
    case 'A':
      return 5;
    case 'B':
      return 6;
    default:
      return -1;
  }
}

std::optional<KeySignature> parse_key_signature(std::string_view value) {
  // Words separated by spaces; a "%" starts a comment.
  if (const size_t pct = value.find('%'); pct != std::string_view::npos)
    value = value.substr(0, pct);
  std::vector<std::string_view> words;
  for (size_t i = 0; i < value.size();) {
    while (i < value.size() && std::isspace(static_cast<unsigned char>(value[i]))) ++i;
    const size_t start = i;
    while (i < value.size() && !std::isspace(static_cast<unsigned char>(value[i]))) ++i;
    if (i > start) words.push_back(value.substr(start, i - start));
  }
  if (words.empty()) return KeySignature{};
  KeySignature sig{};
  size_t next = 1;
  const std::string_view first = words[0];
  if (first == "HP" || lower(first) == "none") {
    sig = {};
  } else if (first == "Hp") {
    sig = {1, 0, 0, 1, 0, 0, 0};
  } else if (letter_index(first[0]) >= 0 && std::isupper(static_cast<unsigned char>(first[0]))) {
    int fifths = kTonicFifths[letter_index(first[0])];
    size_t i = 1;
    if (i < first.size() && first[i] == '#')
      fifths += 7, ++i;
    else if (i < first.size() && first[i] == 'b')
      fifths -= 7, ++i;
    // The mode may be glued to the tonic ("Am", "Ddor") or the next word ("A minor").
    std::optional<int> mode = mode_offset(first.substr(i));
    if (i == first.size() && words.size() > 1) {
      if (auto m = mode_offset(words[1]);
          m && !words[1].empty() && std::isalpha(static_cast<unsigned char>(words[1][0]))) {
        mode = m;
        next = 2;
      }
    }
    if (!mode) return std::nullopt;
    sig = from_fifths(fifths + *mode);
  } else if (first[0] == '^' || first[0] == '_' || first[0] == '=') {
    next = 0;  // only accidentals: they modify C major
  } else {
    return std::nullopt;  // clef=..., middle=..., a voice modifier
  }
  for (size_t w = next; w < words.size(); ++w) {
    if (lower(words[w]) == "exp") {
      sig = {};  // "exp": only the listed accidentals
      continue;
    }
    apply_accidental(words[w], sig);
  }
  return sig;
}

}  // namespace tb::notes
