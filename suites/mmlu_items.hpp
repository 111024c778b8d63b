#pragma once
// MMLU items from the original CSV release (data.tar: <dir>/{dev,val,test}/<subject>_<split>.csv,
// or the files directly in <dir>; no header; question,A,B,C,D,answer) or from JSON Lines /
// JSON array files in the Hugging Face cais/mmlu schema (question, choices[4], answer as 0-3 or
// a letter, subject, optional split).
#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace tb::suites {

struct MmluItem {
  std::string subject;
  std::string split;  // "dev", "val" or "test"
  int row = 0;        // 0-based position within its subject and split
  std::string question;
  std::array<std::string, 4> options;
  int answer = 0;  // 0..3
  std::string where;
};

// Every item found under `path` (a directory, a CSV file or a JSON/JSONL file), grouped by
// subject and split in file order. CSV text goes through Python's universal-newline
// translation first, as the Python loaders (text-mode open + csv.reader) read it. Throws
// tb::Error (BadInput) naming the file, line and field for malformed CSV/JSON, a row without 6
// fields, an answer other than A-D (0-3), or missing choices.
std::vector<MmluItem> load_mmlu_items(const std::filesystem::path& path);

}  // namespace tb::suites
