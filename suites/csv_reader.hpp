#pragma once
// A small RFC 4180 CSV reader: quoted fields may hold commas, doubled quotes and line breaks;
// records end at LF, CRLF or CR. Bytes inside fields are kept as they are (callers decide about
// newline translation), so the reader is exact and testable on its own.
#include <string>
#include <string_view>
#include <vector>

namespace tb::suites {

struct CsvRecord {
  std::vector<std::string> fields;
  int line = 0;  // 1-based line on which the record starts
};

// Parses `text`; `source` names the input in errors. Throws tb::Error (BadInput) naming the
// source and line for an unterminated quoted field. Like Python's csv module (strict=False),
// which the reference loaders use, a quote inside an unquoted field is kept as a character and
// text after a closing quote joins the field. A final record without a line break is accepted;
// empty lines between records are skipped (a record is never an empty line).
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source);

// Reads a whole file (throws tb::Error Io when it cannot be read) and parses it. A UTF-8 byte
// order mark at the start is dropped.
std::vector<CsvRecord> read_csv_file(const std::string& path);

// Python's universal newlines (text-mode open()): CRLF and lone CR become LF. The Python MMLU
// loaders read the CSV files this way, so the suites apply it before parsing.
std::string universal_newlines(std::string_view text);

}  // namespace tb::suites
