#include "suites/json_rows.hpp"

#include "harness/core/error.hpp"
#include "harness/core/strict_json.hpp"
#include "harness/core/text_file.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

std::vector<JsonRow> read_json_rows(const std::string& path) {
  const std::string text = read_text_file(path);
  const size_t first = text.find_first_not_of(" \t\r\n");
  std::vector<JsonRow> rows;
  if (first == std::string::npos) return rows;
  if (text[first] == '[') {
    nlohmann::json array = parse_strict_json(text, path, "");
    for (size_t i = 0; i < array.size(); ++i) {
      const std::string where = "item " + std::to_string(i);
      if (!array[i].is_object()) throw bad_input(path, where, "must be a JSON object");
      rows.push_back({std::move(array[i]), where});
    }
    return rows;
  }
  size_t pos = 0;
  int line = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line;
    const std::string_view content(text.data() + pos, end - pos);
    if (content.find_first_not_of(" \t\r") != std::string_view::npos) {
      const std::string where = "line " + std::to_string(line);
      nlohmann::json value = parse_strict_json(content, path, where);
      if (!value.is_object()) throw bad_input(path, where, "must be a JSON object");
      rows.push_back({std::move(value), where});
    }
    pos = end + 1;
  }
  return rows;
}

}  // namespace tb::suites
