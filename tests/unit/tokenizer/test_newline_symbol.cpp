// The newline-symbol option (MuPT writes "\n" as "<n>"): applied in encode and decode, read from
// tokenizer_config.json or given explicitly, and refused when malformed.
#include <doctest/doctest.h>

#include <fstream>

#include "harness/core/error.hpp"
#include "harness/tokenizer/newline_symbol.hpp"
#include "tests/unit/test_paths.hpp"

using namespace tb;
namespace fs = std::filesystem;

namespace {

fs::path scratch_dir() {
  const fs::path dir = test::binary_dir() / "test_newline_symbol";
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A WordLevel vocabulary in which "<n>" is a word of its own, as in MuPT's vocabulary.
std::unique_ptr<Tokenizer> word_tokenizer() {
  const fs::path file = scratch_dir() / "tokenizer.json";
  write(file, R"({"version": "1.0", "added_tokens": [], "normalizer": null,
    "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
    "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "a": 1, "<n>": 2, "b": 3},
              "unk_token": "<unk>"}})");
  return load_tokenizer_json(file);
}

}  // namespace

TEST_CASE("newline symbol: \\n is written as the symbol in encode and read back in decode") {
  const auto plain = word_tokenizer();
  // Without the option the newline is only whitespace to the pre-tokenizer.
  CHECK(plain->encode("a \n b") == std::vector<int32_t>{1, 3});
  const auto mupt = with_newline_symbol(word_tokenizer(), "<n>");
  CHECK(mupt->encode("a \n b") == std::vector<int32_t>{1, 2, 3});
  CHECK(mupt->encode("a \n b") == plain->encode("a <n> b"));
  const std::vector<int32_t> ids{1, 2, 3, 2};
  CHECK(plain->decode(ids) == "a <n> b <n>");
  CHECK(mupt->decode(ids) == "a \n b \n");
  CHECK(mupt->kind() == plain->kind() + " newline=<n>");
  CHECK(mupt->vocab_size() == plain->vocab_size());
  CHECK(mupt->token_to_id("<n>") == 2);
}

TEST_CASE("newline symbol: from tokenizer_config.json, the explicit symbol first, bad values") {
  const fs::path dir = scratch_dir() / "model";
  fs::create_directories(dir);
  fs::remove(dir / "tokenizer_config.json");
  CHECK(configured_newline_symbol(dir).empty());
  CHECK(apply_newline_symbol(word_tokenizer(), dir, "")->kind() == "hf-wordlevel");
  write(dir / "tokenizer_config.json", R"({"add_bos_token": false})");
  CHECK(configured_newline_symbol(dir).empty());
  write(dir / "tokenizer_config.json", R"({"newline_symbol": "<n>"})");
  CHECK(configured_newline_symbol(dir) == "<n>");
  CHECK(apply_newline_symbol(word_tokenizer(), dir, "")->encode("a\nb") ==
        std::vector<int32_t>{0});  // "a<n>b" is one unknown word: the mapping ran
  CHECK(apply_newline_symbol(word_tokenizer(), dir, "")->kind() == "hf-wordlevel newline=<n>");
  CHECK(apply_newline_symbol(word_tokenizer(), dir, "<br>")->kind() == "hf-wordlevel newline=<br>");
  for (const char* bad :
       {R"({"newline_symbol": 5})", R"({"newline_symbol": ""})", R"({"newline_symbol": "a\nb"})"}) {
    write(dir / "tokenizer_config.json", bad);
    try {
      configured_newline_symbol(dir);
      FAIL("accepted " << bad);
    } catch (const Error& e) {
      CHECK(e.exit_code() == 2);
      CHECK(std::string(e.what()).find("tokenizer_config.json: newline_symbol") !=
            std::string::npos);
    }
  }
  CHECK_THROWS_AS(with_newline_symbol(word_tokenizer(), ""), Error);
}
