#include "metrics/notes/mmm_validity.hpp"

#include <algorithm>
#include <set>

#include "metrics/notes/mmm.hpp"

namespace tb::notes {
namespace {

std::vector<std::string_view> split_ws(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The value of "NAME=value" tokens (valid ones only: the vocabulary check has passed for them).
int value_of(std::string_view token) {
  int v = 0;
  for (char c : token.substr(token.find('=') + 1)) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

void append_token(std::string& text, std::string_view token) {
  if (!text.empty()) text.push_back(' ');
  text.append(token);
}

}  // namespace

MmmValidity mmm_validity(std::string_view text) {
  static const std::set<std::string, std::less<>> vocabulary = [] {
    const auto v = mmm_vocabulary();
    return std::set<std::string, std::less<>>(v.begin(), v.end());
  }();
  const std::vector<std::string_view> tokens = split_ws(text);
  MmmValidity out;
  out.known_tokens = std::all_of(tokens.begin(), tokens.end(),
                                 [](std::string_view t) { return vocabulary.count(t) != 0; });
  out.piece = !tokens.empty() && tokens[0] == "PIECE_START" &&
              std::count(tokens.begin(), tokens.end(), "PIECE_START") == 1;

  bool tracks_ok = true, bars_ok = true, notes_ok = true, length_ok = true, count_ok = true;
  bool in_track = false, in_bar = false, expect_inst = false;
  int bars_in_track = 0, time = 0;
  std::vector<int> open;  // pitches of open notes in the current bar
  std::string bar_text;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string_view t = tokens[i];
    if (expect_inst) {
      expect_inst = false;
      if (!starts_with(t, "INST="))
        tracks_ok = false;
      else
        continue;
    }
    if (t == "PIECE_START") {
      if (in_track || in_bar) tracks_ok = false;
    } else if (t == "TRACK_START") {
      if (in_track) tracks_ok = false;
      if (in_bar) bars_ok = false;
      in_track = true;
      in_bar = false;
      expect_inst = true;
      bars_in_track = 0;
      ++out.track_count;
    } else if (t == "TRACK_END") {
      if (!in_track) tracks_ok = false;
      if (in_bar) bars_ok = false;
      if (in_track && bars_in_track != kMmmBarsPerSample) count_ok = false;
      in_track = in_bar = false;
    } else if (t == "BAR_START") {
      if (!in_track || in_bar) bars_ok = false;
      in_bar = true;
      ++bars_in_track;
      time = 0;
      open.clear();
      bar_text.clear();
    } else if (t == "BAR_END") {
      if (!in_bar) {
        bars_ok = false;
        continue;
      }
      if (!open.empty()) notes_ok = false;
      out.bar_texts.push_back(bar_text);
      in_bar = false;
    } else if (starts_with(t, "INST=")) {
      tracks_ok = false;  // only right after TRACK_START
    } else if (starts_with(t, "TIME_DELTA=") || starts_with(t, "NOTE_ON=") ||
               starts_with(t, "NOTE_OFF=")) {
      if (!in_bar) {
        bars_ok = false;
        continue;
      }
      append_token(bar_text, t);
      const int v = value_of(t);
      if (t[0] == 'T') {
        time += std::max(v, 0);
        if (time > kMmmStepsPerBar) length_ok = false;
      } else if (starts_with(t, "NOTE_ON=")) {
        if (time >= kMmmStepsPerBar) notes_ok = false;
        open.push_back(v);
      } else {
        const auto it = std::find(open.begin(), open.end(), v);
        if (it == open.end())
          notes_ok = false;
        else
          open.erase(it);
      }
    } else if (in_bar) {
      append_token(bar_text, t);  // an unknown token
    }
  }
  if (expect_inst) tracks_ok = false;  // TRACK_START as the last token
  if (in_bar) bars_ok = false;
  if (in_track) tracks_ok = false;
  out.tracks = tracks_ok && out.track_count > 0;
  out.bars = bars_ok;
  out.notes = notes_ok;
  out.bar_length = length_ok;
  out.bar_count = count_ok && out.track_count > 0;
  out.valid = out.piece && out.tracks && out.bars && out.notes && out.bar_length && out.bar_count &&
              out.known_tokens;
  return out;
}

}  // namespace tb::notes
