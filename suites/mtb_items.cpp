#include "suites/mtb_items.hpp"

#include <algorithm>
#include <set>

#include "harness/core/error.hpp"
#include "harness/core/strict_json.hpp"
#include "metrics/classification.hpp"
#include "suites/json_rows.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

namespace {

namespace fs = std::filesystem;

std::string split_from_name(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.find("dev") != std::string::npos) return "dev";
  if (name.find("test") != std::string::npos) return "test";
  return "";
}

std::string string_field(const nlohmann::json& row, const std::string& file,
                         const std::string& where, const char* field) {
  if (!row.contains(field)) throw bad_input(file, where + ": " + field, "missing");
  if (!row[field].is_string()) throw bad_input(file, where + ": " + field, "must be a string");
  return row[field].get<std::string>();
}

MtbItem parse_row(const nlohmann::json& row, const std::string& file, const std::string& where,
                  const std::string& default_split) {
  MtbItem item;
  item.where = file + ": " + where;
  if (row.contains("id") && row["id"].is_number_integer()) {
    item.id = std::to_string(row["id"].get<int64_t>());
  } else if (row.contains("id") && row["id"].is_string() && !row["id"].get<std::string>().empty()) {
    item.id = row["id"].get<std::string>();
  } else if (row.contains("id")) {
    throw bad_input(file, where + ": id", "must be an integer or a non-empty string");
  } else {
    throw bad_input(file, where + ": id", "missing");
  }
  item.stem = string_field(row, file, where, "stem");
  if (!row.contains("options")) throw bad_input(file, where + ": options", "missing");
  const nlohmann::json& options = row["options"];
  if (!options.is_object()) {
    throw bad_input(file, where + ": options", "must be an object with keys A, B, C, D");
  }
  for (int i = 0; i < 4; ++i) {
    const std::string letter(1, static_cast<char>('A' + i));
    if (!options.contains(letter) || !options[letter].is_string()) {
      throw bad_input(file, where + ": options." + letter, "missing or not a string");
    }
    item.options[static_cast<size_t>(i)] = options[letter].get<std::string>();
  }
  const std::string answer = string_field(row, file, where, "answer");
  if (answer.size() != 1 || answer[0] < 'A' || answer[0] > 'D') {
    throw bad_input(file, where + ": answer",
                    "must be one of A, B, C, D (got " + quoted_json(answer) + ")");
  }
  item.answer = answer[0] - 'A';
  item.subject = string_field(row, file, where, "subject");
  if (item.subject.empty()) throw bad_input(file, where + ": subject", "is empty");
  if (row.contains("split") && !row["split"].is_null()) {
    item.split = string_field(row, file, where, "split");
  } else {
    item.split = default_split;
  }
  if (item.split != "dev" && item.split != "test") {
    throw bad_input(file, where + ": split",
                    "must be \"dev\" or \"test\" (or the file name must say which)");
  }
  if (row.contains("abc_score") && !row["abc_score"].is_null()) {
    item.abc_score = string_field(row, file, where, "abc_score");
  }
  return item;
}

}  // namespace

std::vector<MtbItem> load_mtb_items(const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::directory_iterator(path)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".json" || ext == ".jsonl")) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw bad_input(path.string(), "", "no *.json or *.jsonl files");
  } else if (fs::exists(path)) {
    files.push_back(path);
  } else {
    throw Error(ErrorKind::Io, path.string() + ": no such file or directory");
  }
  std::vector<MtbItem> items;
  std::set<std::string> ids;
  for (const fs::path& file : files) {
    for (const JsonRow& row : read_json_rows(file.string())) {
      MtbItem item = parse_row(row.value, file.string(), row.where, split_from_name(file));
      if (!ids.insert(item.split + "/" + item.id).second) {
        throw bad_input(file.string(), row.where + ": id", "duplicate id " + item.id);
      }
      items.push_back(std::move(item));
    }
  }
  return items;
}

std::string mtb_input(const MtbItem& item) {
  if (item.abc_score.empty()) return item.stem;
  const std::string stem = python_strip(
      replace_all(item.stem, "Use the example below to answer the question that follows.", ""));
  return stem + "\n" + item.abc_score;
}

MtbItem permute_options(const MtbItem& item, const std::array<int, 4>& perm) {
  MtbItem out = item;
  for (size_t i = 0; i < 4; ++i) {
    out.options[i] = item.options[static_cast<size_t>(perm[i])];
    if (perm[i] == item.answer) out.answer = static_cast<int>(i);
  }
  return out;
}

std::array<int, 4> shuffle_permutation(const std::string& id, int round) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : id) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  metrics::SplitMix64 rng(hash + static_cast<uint64_t>(round));
  std::array<int, 4> perm = {0, 1, 2, 3};
  for (size_t i = 3; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
  return perm;
}

}  // namespace tb::suites
