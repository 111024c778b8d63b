#pragma once
// Rows of a JSON array file or a JSON Lines file (what Hugging Face `Dataset.to_json` writes,
// whatever the file's extension), each with where it came from for error messages.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb::suites {

struct JsonRow {
  nlohmann::json value;
  std::string where;  // "line 12" (JSON Lines) or "item 3" (array, 0-based as in Python)
};

// A file whose first non-blank character is '[' is one JSON array; otherwise one object per
// non-blank line. Throws tb::Error (BadInput) naming the file and line for malformed JSON or a
// row that is not an object.
std::vector<JsonRow> read_json_rows(const std::string& path);

}  // namespace tb::suites
