// Hostile tokenizer files (issue 17): unbounded nesting, huge ids, text a regex cannot split, and
// the work of the added-token table on 100k entries (counted, not timed).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "harness/core/error.hpp"
#include "harness/tokenizer/added_tokens.hpp"
#include "harness/tokenizer/regex_splitter.hpp"
#include "harness/tokenizer/tokenizer.hpp"
#include "tests/unit/tokenizer/tokenizer_test_util.hpp"

namespace {

using tb::test::ScratchDir;

std::string bad_input_message(auto&& f) {
  try {
    f();
  } catch (const tb::Error& e) {
    CHECK(e.kind() == tb::ErrorKind::BadInput);
    return e.what();
  }
  FAIL("no error thrown");
  return {};
}

bool contains(const std::string& s, const std::string& part) {
  INFO("message: " << s);
  return s.find(part) != std::string::npos;
}

// {"type": "Sequence", "<list>": [ ... depth levels ... ]}
std::string nested(const std::string& list, int depth, const std::string& leaf) {
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += R"({"type": "Sequence", ")" + list + R"(": [)";
    close += "]}";
  }
  return open + leaf + close;
}

TEST_CASE("tokenizer.json: Sequence steps nested 40,000 deep are refused, not recursed into") {
  ScratchDir dir;
  const std::string model = R"("model": {"type": "WordLevel", "vocab": {"a": 0}})";
  // Before the depth limit: unbounded recursion in parse_normalizer with a path string per
  // level, 18 GB and then SIGSEGV.
  for (const auto& [key, list, leaf] :
       {std::tuple{"normalizer", "normalizers", R"({"type": "Prepend", "prepend": "x"})"},
        std::tuple{"pre_tokenizer", "pretokenizers", R"({"type": "WhitespaceSplit"})"},
        std::tuple{"decoder", "decoders", R"({"type": "Fuse"})"}}) {
    const auto file =
        dir.write("deep.json", std::string("{\"") + key + "\": " + nested(list, 40'000, leaf) +
                                   ", " + model + "}");
    CHECK(contains(bad_input_message([&] { tb::load_tokenizer_json(file); }),
                   file.string() + ": (document): JSON nested deeper than 64 levels"));
    // Ten levels are fine.
    const auto ok = dir.write(
        "ok.json", std::string("{\"") + key + "\": " + nested(list, 10, leaf) + ", " + model + "}");
    CHECK(tb::load_tokenizer_json(ok) != nullptr);
  }
}

TEST_CASE("vocab ids of 2^64-1 are printed as they are written, not as -1") {
  ScratchDir dir;
  const auto merges = dir.write("merges.txt", "#version: 0.2\n");
  const auto vocab = dir.write("vocab.json", R"({"a": 18446744073709551615})");
  CHECK(contains(bad_input_message([&] { tb::load_gpt2_vocab_merges(vocab, merges); }),
                 vocab.string() + ": [\"a\"]: id 18446744073709551615 out of range"));
  const auto json =
      dir.write("tokenizer.json",
                R"({"model": {"type": "WordLevel", "vocab": {"a": 18446744073709551615}}})");
  CHECK(contains(bad_input_message([&] { tb::load_tokenizer_json(json); }),
                 json.string() + ": model.vocab[\"a\"]: id 18446744073709551615 out of range"));
}

TEST_CASE("a WordLevel piece missing from the vocabulary is quoted on one line") {
  // Found by fuzz_tokenizer_json: without a pre-tokenizer the whole text is one piece, and its
  // newlines made a three-line message.
  ScratchDir dir;
  const auto json =
      dir.write("tokenizer.json", R"({"model": {"type": "WordLevel", "vocab": {"a": 0}}})");
  const auto tokenizer = tb::load_tokenizer_json(json);
  const std::string m = bad_input_message([&] { tokenizer->encode("X:1\nK:C\nabc|"); });
  CHECK(contains(m, "'X:1\\nK:C\\nabc|' is not in the vocabulary"));
  CHECK(m.find('\n') == std::string::npos);
}

TEST_CASE("text a regex cannot split names the tokenizer field and the cause") {
  const tb::RegexSplitter split(R"(\S+)", "dir/tokenizer.json: pre_tokenizer");
  std::vector<std::string_view> out;
  // Before: "tokenizer: regex match failed (code -3); is the text valid UTF-8?", no file named.
  const std::string m = bad_input_message([&] { split.split("caf\xe9 au lait", true, out); });
  CHECK(contains(m, "dir/tokenizer.json: pre_tokenizer: the text is not valid UTF-8"));
}

// 100k added tokens took 39 s: every add re-sorted every per-byte candidate list. The trie does
// work proportional to the contents' bytes, so 10x the tokens is about 10x the steps.
TEST_CASE("added tokens: the table's work grows linearly, and the longest match still wins") {
  auto work_for = [](int n) {
    tb::AddedTokens table;
    for (int i = 0; i < n; ++i) {
      table.add(tb::AddedToken{"<tok" + std::to_string(i) + ">", i, true, false, false, false});
    }
    CHECK(table.find("<tok" + std::to_string(n - 1) + ">") == n - 1);
    return static_cast<double>(table.work());
  };
  const double ratio = work_for(100'000) / work_for(10'000);
  MESSAGE("added-token work ratio at 10x the tokens: ", ratio);
  CHECK(ratio <= 10.0 * std::log2(1e5) / std::log2(1e4));

  tb::AddedTokens t;
  t.add({"<a>", 5, true, false, false, false});
  t.add({"<a><b>", 6, true, false, false, false});
  t.add({"ab", 7, false, false, false, true});  // single_word
  const auto segs = t.split("x<a><b><a>ab cab");
  REQUIRE(segs.size() == 5);
  CHECK(segs[0].text == "x");
  CHECK(segs[1].id == 6);  // the longest token at that position
  CHECK(segs[2].id == 5);
  CHECK(segs[3].id == 7);                        // "ab" as a word of its own
  CHECK(segs[4].text == " cab");                 // ... but not inside "cab"
  t.add({"<a>", 6, true, false, false, false});  // id 6 now has the text "<a>"
  CHECK(t.find("<a><b>") == -1);
  CHECK(t.find("<a>") == 5);
}

}  // namespace
