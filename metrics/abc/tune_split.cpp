// Splitting an ABC file into tunes: a tune starts at a line beginning with "X:" and ends at the
// first blank line (ABC 2.1 section 2.2), at the next "X:" line, or at the end of the file.
#include <cctype>

#include "metrics/abc/abc.hpp"

namespace tb::metrics::abc {
namespace {

bool blank(std::string_view line) {
  for (char c : line) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::vector<TuneText> split_tunes(std::string_view file_text) {
  std::vector<TuneText> tunes;
  bool in_tune = false;
  size_t pos = 0;
  int line_no = 0;
  while (pos < file_text.size()) {
    size_t nl = file_text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? file_text.size() : nl;
    std::string_view line = file_text.substr(pos, end - pos);
    ++line_no;
    if (line.starts_with("X:")) {
      TuneText t;
      t.first_line = line_no;
      t.offset = pos;
      std::string_view num = line.substr(2);
      while (!num.empty() && std::isspace(static_cast<unsigned char>(num.front()))) {
        num.remove_prefix(1);
      }
      while (!num.empty() && std::isspace(static_cast<unsigned char>(num.back()))) {
        num.remove_suffix(1);
      }
      t.number = std::string(num);
      tunes.push_back(std::move(t));
      in_tune = true;
    } else if (in_tune && blank(line)) {
      in_tune = false;
    }
    if (in_tune) {
      tunes.back().text.append(line);
      tunes.back().text.push_back('\n');
    }
    pos = end + 1;
  }
  return tunes;
}

}  // namespace tb::metrics::abc
