#pragma once
// Key signatures of ABC K: fields (ABC 2.1 section 3.1.14): tonic, mode and explicit accidentals
// ("K:D exp ^c", "K:G =f"), read into the semitone alteration of each note letter.
#include <array>
#include <optional>
#include <string_view>

namespace tb::notes {

// Alteration in semitones of the letters C D E F G A B (index 0..6), e.g. D major: F and C +1.
using KeySignature = std::array<int, 7>;

// The signature a K: value sets; nullopt when the value names no key (only clef or voice
// modifiers, "clef=bass"): the key in force stays. "none", "HP" and an empty value give no
// accidentals; "Hp" gives F# C# (G natural), as the standard says.
std::optional<KeySignature> parse_key_signature(std::string_view value);

// 0..6 for C..B (either case), -1 for anything else.
int letter_index(char letter);

}  // namespace tb::notes
