#include "suites/mmlu_items.hpp"

#include <algorithm>
#include <map>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/core/strict_json.hpp"
#include "harness/core/text_file.hpp"
#include "suites/csv_reader.hpp"
#include "suites/json_rows.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSplits[] = {"dev", "val", "test"};

// "<subject>_<split>.csv" -> (subject, split); empty subject when the name does not match.
std::pair<std::string, std::string> csv_name_parts(const fs::path& file) {
  const std::string stem = file.stem().string();
  for (const char* split : kSplits) {
    const std::string suffix = std::string("_") + split;
    if (stem.size() > suffix.size() &&
        stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return {stem.substr(0, stem.size() - suffix.size()), split};
    }
  }
  return {"", ""};
}

std::string split_from_json_name(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.find("dev") != std::string::npos) return "dev";
  if (name.find("val") != std::string::npos) return "val";
  if (name.find("test") != std::string::npos) return "test";
  return "";
}

// A question or option over limits::kSuiteFieldBytes is refused before anything is tokenized.
void check_field_size(const std::string& text, const std::string& file, const std::string& field) {
  if (text.size() > limits::kSuiteFieldBytes) {
    throw bad_input(file, field,
                    std::to_string(text.size()) + " bytes, over the limit of " +
                        std::to_string(limits::kSuiteFieldBytes) + " for one question or option");
  }
}

// Both checks of an item read from `file` (`where`: "line N").
void check_item(const MmluItem& item, const std::string& file, const std::string& where) {
  check_field_size(item.question, file, where + ": question");
  for (size_t i = 0; i < 4; ++i) {
    check_field_size(item.options[i], file, where + ": option " + std::string(1, "ABCD"[i]));
  }
}

int letter_answer(const std::string& answer, const std::string& file, const std::string& where) {
  if (answer.size() != 1 || answer[0] < 'A' || answer[0] > 'D') {
    throw bad_input(file, where + ": answer",
                    "must be one of A, B, C, D (got " + quoted_json(answer) + ")");
  }
  return answer[0] - 'A';
}

void load_csv(const fs::path& file, std::vector<MmluItem>& out) {
  const auto [subject, split] = csv_name_parts(file);
  if (subject.empty()) {
    throw bad_input(file.string(), "file name", "expected <subject>_{dev,val,test}.csv");
  }
  const std::string text = universal_newlines(read_text_file(file.string()));
  const std::string_view body = text.rfind("\xEF\xBB\xBF", 0) == 0
                                    ? std::string_view(text).substr(3)
                                    : std::string_view(text);
  int row = 0;
  for (CsvRecord& record : parse_csv(body, file.string())) {
    const std::string where = "line " + std::to_string(record.line);
    if (record.fields.size() != 6) {
      throw bad_input(file.string(), where,
                      "expected 6 fields (question,A,B,C,D,answer), found " +
                          std::to_string(record.fields.size()));
    }
    MmluItem item;
    item.subject = subject;
    item.split = split;
    item.row = row++;
    item.question = std::move(record.fields[0]);
    for (size_t i = 0; i < 4; ++i) item.options[i] = std::move(record.fields[i + 1]);
    item.answer = letter_answer(record.fields[5], file.string(), where);
    check_item(item, file.string(), where);
    item.where = file.string() + ": " + where;
    out.push_back(std::move(item));
  }
}

void load_json(const fs::path& file, std::vector<MmluItem>& out) {
  const std::string name = file.string();
  for (const JsonRow& row : read_json_rows(name)) {
    const nlohmann::json& v = row.value;
    auto field = [&](const char* key) -> const nlohmann::json& {
      if (!v.contains(key)) throw bad_input(name, row.where + ": " + key, "missing");
      return v[key];
    };
    MmluItem item;
    item.where = name + ": " + row.where;
    if (!field("question").is_string()) {
      throw bad_input(name, row.where + ": question", "must be a string");
    }
    item.question = v["question"].get<std::string>();
    if (!field("subject").is_string() || v["subject"].get<std::string>().empty()) {
      throw bad_input(name, row.where + ": subject", "must be a non-empty string");
    }
    item.subject = v["subject"].get<std::string>();
    const nlohmann::json& choices = field("choices");
    if (!choices.is_array() || choices.size() != 4) {
      throw bad_input(name, row.where + ": choices", "must be an array of 4 strings");
    }
    for (size_t i = 0; i < 4; ++i) {
      if (!choices[i].is_string()) {
        throw bad_input(name, row.where + ": choices", "must be an array of 4 strings");
      }
      item.options[i] = choices[i].get<std::string>();
    }
    const nlohmann::json& answer = field("answer");
    if (answer.is_number_integer()) {
      const auto a = answer.get<int64_t>();
      if (a < 0 || a > 3) throw bad_input(name, row.where + ": answer", "must be 0-3 or A-D");
      item.answer = static_cast<int>(a);
    } else if (answer.is_string()) {
      item.answer = letter_answer(answer.get<std::string>(), name, row.where);
    } else {
      throw bad_input(name, row.where + ": answer", "must be 0-3 or A-D");
    }
    check_item(item, name, row.where);
    item.split = v.contains("split") && v["split"].is_string() ? v["split"].get<std::string>()
                                                               : split_from_json_name(file);
    if (item.split == "validation") item.split = "val";
    if (item.split != "dev" && item.split != "val" && item.split != "test") {
      throw bad_input(name, row.where + ": split",
                      "must be dev, val(idation) or test (or the file name must say which)");
    }
    out.push_back(std::move(item));
  }
}

bool is_json(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".json" || ext == ".jsonl";
}

}  // namespace

std::vector<MmluItem> load_mmlu_items(const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    auto scan = [&](const fs::path& dir) {
      for (const auto& entry : fs::directory_iterator(dir)) {
        const fs::path& p = entry.path();
        if (!entry.is_regular_file()) continue;
        if (p.extension() == ".csv" && !csv_name_parts(p).first.empty()) files.push_back(p);
        if (is_json(p)) files.push_back(p);
      }
    };
    scan(path);
    for (const char* split : kSplits) {
      if (fs::is_directory(path / split)) scan(path / split);
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      throw bad_input(path.string(), "", "no <subject>_<split>.csv, *.json or *.jsonl files");
    }
  } else if (fs::exists(path)) {
    files.push_back(path);
  } else {
    throw Error(ErrorKind::Io, path.string() + ": no such file or directory");
  }
  std::vector<MmluItem> items;
  for (const fs::path& file : files) {
    if (is_json(file)) {
      load_json(file, items);
    } else {
      load_csv(file, items);
    }
  }
  // Rows numbered within (subject, split) in file order: JSON rows arrive mixed.
  std::map<std::pair<std::string, std::string>, int> next_row;
  for (MmluItem& item : items) item.row = next_row[{item.subject, item.split}]++;
  return items;
}

}  // namespace tb::suites
