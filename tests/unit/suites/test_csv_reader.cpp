#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "suites/csv_reader.hpp"
#include "suites/mmlu_items.hpp"
#include "tests/unit/suites/test_helpers.hpp"

using tb::suites::parse_csv;

TEST_CASE("csv: quoted fields keep commas, doubled quotes and line breaks") {
  const auto records =
      parse_csv("plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",\"\"\r\nx,y,,z\n", "mem.csv");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields ==
        std::vector<std::string>{"plain", "a, b", "say \"hi\"", "two\nlines", ""});
  CHECK(records[0].line == 1);
  CHECK(records[1].fields == std::vector<std::string>{"x", "y", "", "z"});
  CHECK(records[1].line == 3);  // the quoted line break counts
}

TEST_CASE("csv: record ends: LF, CRLF, CR, none at the end; blank lines skipped") {
  const auto records = parse_csv("a,b\r\n\nc,d\re,f", "mem.csv");
  REQUIRE(records.size() == 3);
  CHECK(records[0].fields == std::vector<std::string>{"a", "b"});
  CHECK(records[1].fields == std::vector<std::string>{"c", "d"});
  CHECK(records[2].fields == std::vector<std::string>{"e", "f"});
  CHECK(records[2].line == 4);
  CHECK(parse_csv("a,\n", "m").at(0).fields == std::vector<std::string>{"a", ""});
  CHECK(parse_csv("\"q\"", "m").at(0).fields == std::vector<std::string>{"q"});
  // A CRLF inside quotes is kept as it is; universal_newlines is the caller's choice.
  CHECK(parse_csv("\"1\r\n2\",x\n", "m").at(0).fields[0] == "1\r\n2");
  CHECK(tb::suites::universal_newlines("1\r\n2\r3\n") == "1\n2\n3\n");
}

TEST_CASE("csv: malformed input names the source and line") {
  const std::string unterminated =
      tb::test::bad_input_message([] { parse_csv("a,b\nc,\"open\nstill open", "bad.csv"); });
  CHECK(unterminated.find("bad.csv: line 2") != std::string::npos);
  CHECK(unterminated.find("never closed") != std::string::npos);
}

TEST_CASE("csv: stray quotes are kept as Python's csv.reader keeps them") {
  // Python: list(csv.reader(['"a"b,c', 'x"y",z'])) == [['ab', 'c'], ['x"y"', 'z']]
  const auto records = parse_csv("\"a\"b,c\nx\"y\",z\n", "m.csv");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == std::vector<std::string>{"ab", "c"});
  CHECK(records[1].fields == std::vector<std::string>{"x\"y\"", "z"});
}

TEST_CASE("csv: the real MMLU release parses with the published row counts" *
          doctest::skip(!tb::test::have_shared())) {
  const auto items = tb::suites::load_mmlu_items(tb::test::shared_data() / "mmlu");
  std::map<std::string, int> per_split;
  std::map<std::string, int> subjects;
  for (const auto& item : items) {
    ++per_split[item.split];
    ++subjects[item.subject];
  }
  CHECK(per_split["dev"] == 285);
  CHECK(per_split["val"] == 1531);
  CHECK(per_split["test"] == 14042);
  CHECK(subjects.size() == 57);
  // Quoted fields with commas and embedded line breaks: formal_logic test row 3.
  for (const auto& item : items) {
    if (item.subject == "formal_logic" && item.split == "test" && item.row == 3) {
      CHECK(item.question.find("counterexamples as well.)\n~G \xE2\x8A\x83 H\n~H / G") !=
            std::string::npos);
      CHECK(item.answer == 0);
    }
    if (item.subject == "college_mathematics" && item.split == "dev") {
      CHECK(item.question.find('\r') == std::string::npos);  // universal newlines applied
    }
  }
}
