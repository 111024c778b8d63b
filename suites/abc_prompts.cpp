#include "suites/abc_prompts.hpp"

#include <cctype>
#include <map>
#include <sstream>

#include "harness/core/error.hpp"
#include "harness/core/text_file.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string strip(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_blank(s[b])) ++b;
  while (e > b && is_blank(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

bool is_field_line(const std::string& line) {
  const auto c = static_cast<unsigned char>(line.empty() ? 0 : line[0]);
  return line.size() >= 2 && line[1] == ':' && c < 128 && std::isalpha(c);
}

std::string default_unit_length(const std::string& meter_value) {
  const std::string meter = strip(meter_value);
  const size_t slash = meter.find('/');
  if (meter == "C" || meter == "C|" || slash == std::string::npos) return "1/8";
  try {
    double numerator = 0;
    std::string num = meter.substr(0, slash);
    for (size_t b = 0; b <= num.size();) {
      const size_t plus = std::min(num.find('+', b), num.size());
      size_t used = 0;
      const std::string part = num.substr(b, plus - b);
      numerator += std::stoi(part, &used);
      if (used != part.size()) return "1/8";
      b = plus + 1;
    }
    size_t used = 0;
    const std::string den = meter.substr(slash + 1);
    const int denominator = std::stoi(den, &used);
    if (used != den.size() || denominator == 0) return "1/8";
    return numerator / denominator < 0.75 ? "1/16" : "1/8";
  } catch (const std::exception&) {
    return "1/8";
  }
}

// Length of a bar line starting at `i`, or 0 when none starts there.
size_t bar_line_at(const std::string& s, size_t i) {
  size_t j = i;
  bool bar = false;
  while (j < s.size()) {
    if (s[j] == '|') {
      bar = true;
    } else if (s[j] == ':' || (s[j] == ']' && j > i && s[j - 1] == '|')) {
    } else if (s[j] == '[' && j + 1 < s.size() && s[j + 1] == '|') {
    } else {
      break;
    }
    ++j;
  }
  if (bar || s.compare(i, 2, "::") == 0) return j - i;
  return 0;
}

}  // namespace

std::vector<CorpusTune> corpus_tunes(const std::string& relpath, const std::string& content) {
  std::vector<CorpusTune> tunes;
  std::vector<std::string> current;
  bool open = false;
  int index = -1;
  auto finish = [&] {
    if (open) {
      CorpusTune t;
      t.relpath = relpath;
      t.xnum = strip(std::string_view(current[0]).substr(2));
      t.index = index;
      for (const std::string& l : current) t.text += l + "\n";
      tunes.push_back(std::move(t));
    }
    open = false;
    current.clear();
  };
  std::string text = content;
  std::erase(text, '\r');
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.starts_with("%")) continue;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.starts_with("X:")) {
      finish();
      ++index;
      open = true;
      current.push_back(line);
    } else if (open) {
      if (line.empty()) {
        finish();
      } else {
        current.push_back(line);
      }
    }
  }
  finish();
  return tunes;
}

std::string model_text(const std::string& tune_text) {
  static constexpr char kHeaderKept[] = {'X', 'T', 'R', 'M', 'L', 'K'};
  std::map<char, std::string> header;
  std::vector<std::string> body;
  bool in_header = true;
  for (const std::string& line : split_lines(tune_text)) {
    const bool field = is_field_line(line);
    if (in_header && field) {
      const char key = line[0];
      if (std::string_view(kHeaderKept, 6).find(key) != std::string_view::npos &&
          header.count(key) == 0) {
        header[key] = strip(std::string_view(line).substr(2));
      }
      in_header = key != 'K';
      continue;
    }
    in_header = false;
    if (field) {
      if (line[0] == 'K' || line[0] == 'L' || line[0] == 'M') {
        body.push_back(std::string(1, line[0]) + ":" + strip(std::string_view(line).substr(2)));
      }
      continue;
    }
    std::string music;
    for (size_t i = 0; i < line.size();) {
      if (is_blank(line[i])) {
        while (i < line.size() && is_blank(line[i])) ++i;
        if (!music.empty() && i < line.size()) music += ' ';
        continue;
      }
      music += line[i++];
    }
    if (!music.empty()) body.push_back(music);
  }
  if (header.count('L') == 0) header['L'] = default_unit_length(header['M']);
  std::string out;
  for (char k : kHeaderKept) {
    if (header.count(k) != 0) out += std::string(1, k) + ":" + header[k] + "\n";
  }
  for (const std::string& l : body) out += l + "\n";
  return out;
}

std::string header_prompt(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    const bool key = text.compare(pos, 2, "K:") == 0;
    pos = end;
    if (key) break;
  }
  return text.substr(0, pos);
}

std::string bars_prompt(const std::string& text) {
  const std::string header = header_prompt(text);
  size_t i = header.size();
  // A bar line opening the body (a pickup marker such as "|:") is not the end of a bar.
  i += bar_line_at(text, i);
  int bars = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || c == '!') {  // chord symbol or decoration: skip to the closing mark
      const size_t close = text.find(c, i + 1);
      i = close == std::string::npos ? text.size() : close + 1;
      continue;
    }
    if (const size_t n = bar_line_at(text, i); n > 0) {
      i += n;
      if (++bars == 2) return text.substr(0, i);
      continue;
    }
    ++i;
  }
  return text;
}

std::vector<CorpusTune> load_heldout_tunes(const std::filesystem::path& abc_root,
                                           const std::filesystem::path& heldout_tsv,
                                           bool as_model_text) {
  const std::string tsv = heldout_tsv.string();
  const std::vector<std::string> lines = split_lines(read_text_file(tsv));
  if (lines.empty() || lines[0] != "path\tx\tindex") {
    throw bad_input(tsv, "line 1", "expected the header \"path<TAB>x<TAB>index\"");
  }
  std::map<std::string, std::vector<CorpusTune>> files;
  std::vector<CorpusTune> out;
  for (size_t n = 1; n < lines.size(); ++n) {
    if (lines[n].empty()) continue;
    const std::string where = "line " + std::to_string(n + 1);
    std::vector<std::string> cols;
    std::istringstream row(lines[n]);
    for (std::string col; std::getline(row, col, '\t');) cols.push_back(col);
    if (cols.size() != 3) throw bad_input(tsv, where, "expected 3 tab-separated columns");
    int index = -1;
    try {
      size_t used = 0;
      index = std::stoi(cols[2], &used);
      if (used != cols[2].size()) index = -1;
    } catch (const std::exception&) {
    }
    if (index < 0) throw bad_input(tsv, where, "index \"" + cols[2] + "\" is not a count");
    auto it = files.find(cols[0]);
    if (it == files.end()) {
      const std::filesystem::path file = abc_root / cols[0];
      if (!std::filesystem::is_regular_file(file)) {
        throw bad_input(tsv, where, file.string() + ": no such ABC file");
      }
      it = files.emplace(cols[0], corpus_tunes(cols[0], read_text_file(file.string()))).first;
    }
    const std::vector<CorpusTune>& tunes = it->second;
    if (static_cast<size_t>(index) >= tunes.size() ||
        tunes[static_cast<size_t>(index)].xnum != cols[1]) {
      throw bad_input(tsv, where,
                      "no tune X:" + cols[1] + " at index " + cols[2] + " of " + cols[0]);
    }
    CorpusTune t = tunes[static_cast<size_t>(index)];
    if (as_model_text) t.text = model_text(t.text);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace tb::suites
