// load_tokenizer(dir): which file wins, and the specials decided by tokenizer_config.json,
// generation_config.json and config.json.
#include <doctest/doctest.h>

#include "harness/core/error.hpp"
#include "harness/tokenizer/tokenizer.hpp"
#include "tests/unit/tokenizer/tokenizer_test_util.hpp"

namespace {

using tb::test::ScratchDir;

// A LLaMA-style (SentencePiece BPE) tokenizer.json: <unk> 0, <s> 1, </s> 2, <pad> 3.
const char* kSpmJson = R"({
  "added_tokens": [{"id": 0, "content": "<unk>", "special": true},
                   {"id": 1, "content": "<s>", "special": true},
                   {"id": 2, "content": "</s>", "special": true},
                   {"id": 3, "content": "<pad>", "special": true}],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "pre_tokenizer": null,
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
  "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true,
    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<pad>": 3, "▁": 4, "a": 5, "▁a": 6},
    "merges": [["▁", "a"]]}})";

}  // namespace

TEST_CASE("load_tokenizer: defaults without config files") {
  ScratchDir dir;
  dir.write("tokenizer.json", kSpmJson);
  const auto tok = tb::load_tokenizer(dir.path());
  CHECK(tok->kind() == "hf-bpe-spm");
  const auto& s = tok->specials();
  CHECK(s.bos == 1);
  CHECK(s.eos == 2);
  CHECK(s.unk == 0);
  CHECK(s.pad == 3);
  CHECK(s.add_bos);
  CHECK_FALSE(s.add_eos);
  CHECK(s.source == "tokenizer.json: defaults(hf-bpe-spm)");
  CHECK(tok->encode("a a") == std::vector<int32_t>{6, 6});
  CHECK(tok->decode(std::vector<int32_t>{6, 6}) == "a a");
}

TEST_CASE("load_tokenizer: tokenizer_config.json decides, string or {content} forms") {
  ScratchDir dir;
  dir.write("tokenizer.json", kSpmJson);
  // Swapped on purpose so that reading the file is visible in the ids.
  dir.write("tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true,
    "bos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false},
    "eos_token": "<s>", "pad_token": null, "model_max_length": 4096})");
  dir.write("config.json", R"({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0})");
  const auto s = tb::load_tokenizer(dir.path())->specials();
  CHECK(s.bos == 2);
  CHECK(s.eos == 1);
  CHECK(s.pad == -1);  // null in tokenizer_config.json: no pad, config.json does not override
  CHECK(s.unk == 0);
  CHECK_FALSE(s.add_bos);
  CHECK(s.add_eos);
  CHECK(s.source ==
        "tokenizer.json: defaults(hf-bpe-spm); "
        "tokenizer_config.json(add_bos_token,add_eos_token,bos_token,eos_token,pad_token)");
}

TEST_CASE("load_tokenizer: generation_config.json, then config.json, fill what is undecided") {
  ScratchDir dir;
  dir.write("tokenizer.json", kSpmJson);
  dir.write("tokenizer_config.json", R"({"add_bos_token": true, "bos_token": "<s>"})");
  dir.write("generation_config.json", R"({"eos_token_id": [3, 2], "bos_token_id": 0})");
  dir.write("config.json", R"({"eos_token_id": 2, "pad_token_id": 0, "bos_token_id": 2})");
  const auto s = tb::load_tokenizer(dir.path())->specials();
  CHECK(s.bos == 1);  // tokenizer_config.json wins over both
  CHECK(s.eos == 3);  // the first of the list in generation_config.json
  CHECK(s.pad == 0);  // only config.json has it
  CHECK(s.source ==
        "tokenizer.json: defaults(hf-bpe-spm); tokenizer_config.json(add_bos_token,bos_token); "
        "generation_config.json(eos_token_id); config.json(pad_token_id)");
}

TEST_CASE("load_tokenizer: bad config files name the file and the field") {
  ScratchDir dir;
  dir.write("tokenizer.json", kSpmJson);
  const std::string tc = (dir.path() / "tokenizer_config.json").string();
  auto expect = [&](const std::string& part) {
    try {
      tb::load_tokenizer(dir.path());
      FAIL("no error thrown");
    } catch (const tb::Error& e) {
      INFO("message: " << e.what());
      CHECK(e.kind() == tb::ErrorKind::BadInput);
      CHECK(std::string(e.what()).find(part) != std::string::npos);
    }
  };
  dir.write("tokenizer_config.json", R"({"bos_token": "<nope>"})");
  expect(tc + ": bos_token: '<nope>' is not a token");
  dir.write("tokenizer_config.json", R"({"eos_token": {"lstrip": false}})");
  expect(tc + ": eos_token.content: missing");
  dir.write("tokenizer_config.json", R"({"add_bos_token": "yes"})");
  expect(tc + ": add_bos_token: expected true or false");
  dir.write("tokenizer_config.json", R"({"add_bos_token": )");
  expect(tc + ": (document): malformed JSON");
  dir.write("tokenizer_config.json", "{}");
  dir.write("config.json", R"({"eos_token_id": 99})");
  expect((dir.path() / "config.json").string() + ": eos_token_id: id 99 outside the vocabulary");
  dir.write("config.json", R"({"eos_token_id": "2"})");
  expect((dir.path() / "config.json").string() + ": eos_token_id: expected an integer");

  ScratchDir empty;
  try {
    tb::load_tokenizer(empty.path());
    FAIL("no error thrown");
  } catch (const tb::Error& e) {
    CHECK(std::string(e.what()).find("no tokenizer.json, tokenizer.model") != std::string::npos);
  }
}

TEST_CASE("load_tokenizer: tokenizer.model and vocab.json + merges.txt directories" *
          doctest::skip(!tb::test::have_shared())) {
  namespace fs = std::filesystem;
  const auto src = tb::test::tokenizers_dir();
  ScratchDir spm;  // scratch copies, never in the repository
  fs::copy_file(src / "llama2-spm" / "tokenizer.model", spm.path() / "tokenizer.model");
  auto tok = tb::load_tokenizer(spm.path());
  CHECK(tok->kind() == "sentencepiece");
  CHECK(tok->specials().bos == 1);
  CHECK(tok->specials().eos == 2);
  CHECK(tok->specials().unk == 0);
  CHECK(tok->specials().pad == -1);
  CHECK(tok->specials().add_bos);
  CHECK(tok->specials().source == "tokenizer.model: defaults(sentencepiece)");
  spm.write("tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true})");
  tok = tb::load_tokenizer(spm.path());
  CHECK_FALSE(tok->specials().add_bos);
  CHECK(tok->specials().add_eos);

  ScratchDir gpt2;
  fs::copy_file(src / "gpt2-bpe" / "encoder.json", gpt2.path() / "vocab.json");
  fs::copy_file(src / "gpt2-bpe" / "vocab.bpe", gpt2.path() / "merges.txt");
  gpt2.write("config.json", R"({"bos_token_id": 50256, "eos_token_id": 50256})");
  tok = tb::load_tokenizer(gpt2.path());
  CHECK(tok->kind() == "gpt2-vocab-merges");
  CHECK(tok->specials().bos == 50256);
  CHECK(tok->specials().eos == 50256);
  CHECK_FALSE(tok->specials().add_bos);
  CHECK(
      tok->specials().source ==
      "vocab.json+merges.txt: defaults(gpt2-vocab-merges); config.json(bos_token_id,eos_token_id)");
  CHECK(tok->encode("Hello world") == std::vector<int32_t>{15496, 995});
}
