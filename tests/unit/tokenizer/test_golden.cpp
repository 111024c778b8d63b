// Parity with the Hugging Face tokenizers on llama.cpp's golden vectors (expected ids are HF's
// encode(text, add_special_tokens=False)), and exact round trips over the shared ABC corpus.
#include <doctest/doctest.h>

#include <chrono>

#include "harness/core/error.hpp"
#include "harness/tokenizer/tokenizer.hpp"
#include "tests/unit/tokenizer/tokenizer_test_util.hpp"

namespace {

using namespace tb::test;

std::string show(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    s += ' ';
    s += std::to_string(id);
  }
  return s;
}

// Checks every golden case and reports how many passed.
void check_golden(const tb::Tokenizer& tok, const std::string& golden, const std::string& label) {
  const auto cases = read_golden(tokenizers_dir() / "golden" / golden);
  REQUIRE(cases.size() >= 40);
  size_t passed = 0;
  for (const auto& c : cases) {
    const auto ids = tok.encode(c.text);
    INFO(label << " input '" << c.text << "' got" << show(ids) << " expected" << show(c.ids));
    CHECK(ids == c.ids);
    passed += ids == c.ids ? 1 : 0;
  }
  MESSAGE(label << ": " << passed << "/" << cases.size() << " golden cases pass");
}

void round_trip(const tb::Tokenizer& tok, const std::string& label) {
  size_t files = 0;
  size_t bytes = 0;
  size_t tokens = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(shared_data() / "abc")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".abc") continue;
    const std::string text = read_file(entry.path());
    const auto ids = tok.encode(text);
    INFO(label << " " << entry.path().string());
    CHECK(tok.decode(ids) == text);
    ++files;
    bytes += text.size();
    tokens += ids.size();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(files >= 80);
  MESSAGE(label << " round trip: " << files << " files, " << bytes << " bytes, " << tokens
                << " tokens, " << s << " s");
}

}  // namespace

TEST_CASE("golden: LLaMA tokenizer.model (sentencepiece)" * doctest::skip(!have_shared())) {
  const auto tok = tb::load_sentencepiece(tokenizers_dir() / "llama2-spm" / "tokenizer.model");
  CHECK(tok->kind() == "sentencepiece");
  CHECK(tok->vocab_size() == 32000);
  check_golden(*tok, "ggml-vocab-llama-spm.gguf", "llama tokenizer.model");
  // Control pieces in the text are tokens (as HF's LlamaTokenizer); the text after <s> gets
  // its own dummy prefix: "Hello" alone is 15043 in the golden vectors.
  CHECK(tok->encode("<s>Hello</s>") == std::vector<int32_t>{1, 15043, 2});
}

TEST_CASE("golden: LLaMA tokenizer.json (SentencePiece-style BPE)" *
          doctest::skip(!have_shared())) {
  // Made from ../shared by the make_tokenizer_json fixture.
  const auto file = generated_json("llama2-spm");
  REQUIRE(std::filesystem::exists(file));
  const auto tok = tb::load_tokenizer_json(file);
  CHECK(tok->kind() == "hf-bpe-spm");
  CHECK(tok->vocab_size() == 32000);
  CHECK(tok->specials().unk == 0);
  CHECK(tok->specials().bos == 1);
  CHECK(tok->specials().add_bos);
  check_golden(*tok, "ggml-vocab-llama-spm.gguf", "llama tokenizer.json");
  CHECK(tok->encode("<s>Hello</s>") == std::vector<int32_t>{1, 15043, 2});
  // The decoder: ▁ to space, <0xNN> runs to bytes, one leading space stripped (so the lone
  // "▁" 29871 before the byte tokens vanishes, as in HF).
  CHECK(tok->decode(std::vector<int32_t>{29871, 15043, 29892, 3186, 29991}) == " Hello, world!");
  CHECK(tok->decode(std::vector<int32_t>{29871, 243, 162, 169, 156}) == "\xF0\x9F\xA6\x99");
}

TEST_CASE("golden: GPT-2 vocab.json + merges.txt" * doctest::skip(!have_shared())) {
  const auto dir = tokenizers_dir() / "gpt2-bpe";
  const auto tok = tb::load_gpt2_vocab_merges(dir / "encoder.json", dir / "vocab.bpe");
  CHECK(tok->kind() == "gpt2-vocab-merges");
  CHECK(tok->vocab_size() == 50257);
  CHECK(tok->specials().eos == 50256);
  CHECK_FALSE(tok->specials().add_bos);
  check_golden(*tok, "ggml-vocab-gpt-2.gguf", "gpt2 vocab+merges");
  CHECK(tok->encode("Hello<|endoftext|> world") == std::vector<int32_t>{15496, 50256, 995});
}

TEST_CASE("golden: GPT-2 tokenizer.json (byte-level BPE)" * doctest::skip(!have_shared())) {
  // Made from ../shared by the make_tokenizer_json fixture.
  const auto file = generated_json("gpt2");
  REQUIRE(std::filesystem::exists(file));
  const auto tok = tb::load_tokenizer_json(file);
  CHECK(tok->kind() == "hf-bpe-byte-level");
  CHECK(tok->vocab_size() == 50257);
  check_golden(*tok, "ggml-vocab-gpt-2.gguf", "gpt2 tokenizer.json");
  CHECK(tok->encode("Hello<|endoftext|> world") == std::vector<int32_t>{15496, 50256, 995});
  CHECK(tok->decode(std::vector<int32_t>{15496, 50256, 995}) == "Hello<|endoftext|> world");
  // Text that is not UTF-8 cannot go through the pre-tokenizer regex: an error, not a crash.
  CHECK_THROWS_AS(tok->encode("abc \xff\xfe def"), tb::Error);
  CHECK_THROWS_AS(tok->decode(std::vector<int32_t>{50257}), tb::Error);
}

TEST_CASE("round trip: decode(encode(x)) == x over every shared .abc file" *
          doctest::skip(!have_shared())) {
  round_trip(*tb::load_sentencepiece(tokenizers_dir() / "llama2-spm" / "tokenizer.model"),
             "llama tokenizer.model");
  const auto dir = tokenizers_dir() / "gpt2-bpe";
  round_trip(*tb::load_gpt2_vocab_merges(dir / "encoder.json", dir / "vocab.bpe"),
             "gpt2 vocab+merges");
  for (const char* name : {"llama2-spm", "gpt2"}) {
    const auto file = generated_json(name);
    if (std::filesystem::exists(file)) {
      round_trip(*tb::load_tokenizer_json(file), std::string(name) + " tokenizer.json");
    }
  }
}
