#include "metrics/notes/pvdt_text.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

namespace tb::notes {
namespace {

bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// Parses "<letter><digits>" up to the next ':' or the end of `token` starting at `pos`; the
// value must be at most `max`. Advances pos past the field and its ':'.
std::optional<int64_t> field(std::string_view token, size_t& pos, char letter, int64_t max,
                             bool last) {
  if (pos >= token.size() || token[pos] != letter) return std::nullopt;
  ++pos;
  const size_t digits_start = pos;
  int64_t value = 0;
  while (pos < token.size() && token[pos] >= '0' && token[pos] <= '9') {
    value = value * 10 + (token[pos] - '0');
    if (value > max) return std::nullopt;
    ++pos;
  }
  if (pos == digits_start) return std::nullopt;
  if (last) return pos == token.size() ? std::optional<int64_t>(value) : std::nullopt;
  if (pos >= token.size() || token[pos] != ':') return std::nullopt;
  ++pos;
  return value;
}

}  // namespace

std::string write_pvdt(const NoteSequence& seq) {
  std::vector<size_t> order(seq.notes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return seq.notes[a].start < seq.notes[b].start; });
  std::string out;
  int64_t previous = 0;
  for (const size_t i : order) {
    const NoteEvent& n = seq.notes[i];
    if (!out.empty()) out += ' ';
    out += 'p' + std::to_string(n.pitch) + ":v" + std::to_string(n.velocity) + ":d" +
           std::to_string(n.duration) + ":t" + std::to_string(n.start - previous);
    previous = n.start;
  }
  return out;
}

PvdtReadResult read_pvdt(std::string_view text, int64_t ticks_per_quarter) {
  // Tick values beyond 10^12 are certainly garbage and would risk overflow when summed.
  constexpr int64_t kMaxTicks = 1'000'000'000'000;
  PvdtReadResult result;
  result.sequence.ticks_per_quarter = ticks_per_quarter;
  int64_t onset = 0;
  size_t pos = 0;
  while (true) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos == text.size()) break;
    size_t end = pos;
    while (end < text.size() && !is_space(text[end])) ++end;
    const std::string_view token = text.substr(pos, end - pos);
    size_t at = 0;
    const auto p = field(token, at, 'p', 127, false);
    const auto v = p ? field(token, at, 'v', 127, false) : std::nullopt;
    const auto d = v ? field(token, at, 'd', kMaxTicks, false) : std::nullopt;
    const auto t = d ? field(token, at, 't', kMaxTicks, true) : std::nullopt;
    if (t) {
      onset += *t;
      result.sequence.notes.push_back(
          NoteEvent{static_cast<int>(*p), static_cast<int>(*v), onset, *d, 0, 0, 0});
    } else {
      const std::string shown(token.substr(0, 40));
      result.diagnostics.push_back("byte " + std::to_string(pos) + ": malformed note '" + shown +
                                   "' (expected p<0-127>:v<0-127>:d<ticks>:t<ticks>)");
    }
    pos = end;
  }
  return result;
}

}  // namespace tb::notes
