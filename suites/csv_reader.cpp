#include "suites/csv_reader.hpp"

#include <fstream>
#include <sstream>

#include "harness/core/error.hpp"

namespace tb::suites {

namespace {

std::string line_field(int line) {
  return "line " + std::to_string(line);
}

}  // namespace

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  int line = 1;
  bool in_record = false;  // something of the current record has been read
  size_t i = 0;
  const size_t n = text.size();

  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
  };
  auto end_record = [&] {
    end_field();
    records.push_back(std::move(record));
    record = CsvRecord{};
    in_record = false;
  };
  // Consumes a line break at text[i] (LF, CRLF or CR); returns false when there is none.
  auto take_newline = [&]() -> bool {
    if (text[i] == '\n') {
      ++i;
    } else if (text[i] == '\r') {
      ++i;
      if (i < n && text[i] == '\n') ++i;
    } else {
      return false;
    }
    ++line;
    return true;
  };

  while (i < n) {
    if (!in_record) {
      if (text[i] == '\n' || text[i] == '\r') {  // blank line between records
        take_newline();
        continue;
      }
      record.line = line;
      in_record = true;
    }
    if (text[i] == '"') {
      // Quoted field: runs to the matching quote; "" is a literal quote.
      const int start_line = line;
      ++i;
      bool closed = false;
      while (i < n) {
        const char c = text[i];
        if (c == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (c == '\n') ++line;
        if (c == '\r' && !(i + 1 < n && text[i + 1] == '\n')) ++line;
        field.push_back(c);
        ++i;
      }
      if (!closed) {
        throw bad_input(source, line_field(start_line), "quoted field is never closed");
      }
      if (i == n) {
        end_record();
        continue;
      }
      if (text[i] == ',') {
        ++i;
        end_field();
        if (i == n) end_record();  // a trailing comma means one more empty field
        continue;
      }
      if (take_newline()) {
        end_record();
        continue;
      }
      // Text follows the closing quote: like Python's csv (strict=False) it joins the field,
      // which the unquoted-field loop below continues.
    }
    // Unquoted field (or the rest of one after a closing quote): runs to a comma or a line
    // break; a quote here is an ordinary character, as in Python's csv (the real MMLU files
    // have one: val/college_medicine_val.csv line 6).
    while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
      field.push_back(text[i]);
      ++i;
    }
    if (i == n) {
      end_record();
    } else if (text[i] == ',') {
      ++i;
      end_field();
      if (i == n) end_record();
    } else {
      take_newline();
      end_record();
    }
  }
  return records;
}

std::vector<CsvRecord> read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, path + ": cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  return parse_csv(text, path);
}

std::string universal_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace tb::suites
