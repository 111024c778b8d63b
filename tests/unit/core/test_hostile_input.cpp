// Hostile input to the core readers (issue 17): a FIFO given as a file, JSON nested without
// bound, numbers out of range, and the work of the strict JSON parse on large objects.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/core/strict_json.hpp"
#include "harness/core/text_file.hpp"
#include "tests/unit/test_paths.hpp"

namespace tb {
namespace {

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    return e.what();
  }
  FAIL("no tb::Error thrown");
  return {};
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_CASE("read_text_file refuses a FIFO at once instead of waiting for a writer") {
  const auto fifo = test::binary_dir() / "test_core_fifo";
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Before the fix, std::ifstream blocked in open() forever (no writer ever comes).
  const std::string m = message_of([&] { read_text_file(fifo); });
  CHECK(contains(m, fifo.string() + ": cannot read: not a regular file"));
  std::filesystem::remove(fifo);
  CHECK(contains(message_of([&] { read_text_file(test::binary_dir()); }), "is a directory"));
  CHECK(contains(message_of([&] { read_text_file(test::binary_dir() / "absent.txt"); }),
                 "absent.txt: cannot open: No such file or directory"));
}

TEST_CASE("strict JSON: depth limit, numbers out of range, invalid UTF-8 are bad input") {
  const std::string deep = std::string(40000, '[') + std::string(40000, ']');
  CHECK(contains(message_of([&] { parse_strict_json(deep, "f.json", "(document)"); }),
                 "f.json: (document): JSON nested deeper than 64 levels (the limit)"));
  const int ok_depth = limits::kJsonDepth;
  const std::string fine = std::string(ok_depth, '[') + std::string(ok_depth, ']');
  CHECK(parse_strict_json(fine, "f.json", "").is_array());
  // 1e400 escaped as nlohmann's out_of_range.406 where only parse_error was caught.
  CHECK(contains(message_of([&] { parse_strict_json(R"({"a": 1e400})", "rows.jsonl", "line 3"); }),
                 "rows.jsonl: line 3: malformed JSON: [json.exception.out_of_range.406]"));
  CHECK(contains(message_of([&] { parse_strict_json("\"caf\xe9\"", "x.json", ""); }),
                 "x.json: malformed JSON"));
  CHECK(contains(message_of([&] {
                   parse_strict_json(R"({"a": 1, "a": 2})", "c.json", "json",
                                     {.reject_duplicate_keys = true});
                 }),
                 "c.json: json: duplicate key 'a'"));
  CHECK(contains(
      message_of([&] { parse_strict_json("[1]", "c.json", "json", {.require_object = true}); }),
      "expected a JSON object, found array"));
}

// The object parse behind safetensors headers and config.json took 62 s for 100k members
// (nlohmann's callback parser rescans the parent object at each member's end). The validating
// pass now does constant work per SAX event: 10x the members is 10x the events, and the DOM
// parse after it is nlohmann's plain (linear) one.
TEST_CASE("strict JSON: work grows linearly with the number of object members") {
  auto header = [](int n) {
    std::string s = "{";
    for (int i = 0; i < n; ++i) {
      if (i > 0) s += ',';
      s += "\"t" + std::to_string(i) + R"(":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
    }
    return s + "}";
  };
  parse_strict_json(header(10'000), "h", "", {.reject_duplicate_keys = true});
  const size_t small = strict_json_last_event_count();
  const auto big = parse_strict_json(header(100'000), "h", "", {.reject_duplicate_keys = true});
  const size_t large = strict_json_last_event_count();
  CHECK(big.size() == 100'000);
  CHECK(small > 10'000);
  CHECK(static_cast<double>(large) / static_cast<double>(small) ==
        doctest::Approx(10.0).epsilon(0.01));
}

TEST_CASE("quoted keeps a value with newlines on one line (found by fuzz_mmlu)") {
  CHECK(quoted_json("A\nB") == R"("A\nB")");
  CHECK(quoted_json("caf\xe9") == "\"caf\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace tb
