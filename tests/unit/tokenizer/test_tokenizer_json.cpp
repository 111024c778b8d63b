// tokenizer.json features checked on small hand-made files: WordLevel on MMM tokens, added
// tokens, a hand-traced BPE, and one-line errors naming the file and field.
#include <doctest/doctest.h>

#include "harness/core/error.hpp"
#include "harness/tokenizer/tokenizer.hpp"
#include "tests/unit/tokenizer/tokenizer_test_util.hpp"

namespace {

using tb::test::ScratchDir;
using Ids = std::vector<int32_t>;

// A GPT-2-on-MMM style WordLevel tokenizer; `pre` is the pre-tokenizer type.
std::string mmm_json(const std::string& pre) {
  return R"({"version": "1.0",
    "added_tokens": [{"id": 1, "content": "[PAD]", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": ")" +
         pre + R"("},
    "decoder": null,
    "model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {
      "[UNK]": 0, "[PAD]": 1, "PIECE_START": 2, "TRACK_START": 3, "INST=0": 4,
      "BAR_START": 5, "NOTE_ON=61": 6, "TIME_DELTA=4": 7, "NOTE_OFF=61": 8, "BAR_END": 9,
      "TRACK_END": 10, "NOTE_ON": 11, "=": 12, "61": 13}}})";
}

// Expects tb::Error (BadInput) whose message contains every string of `parts`.
template <typename F>
void expect_bad_input(F&& load, std::initializer_list<std::string> parts) {
  try {
    load();
    FAIL("no error thrown");
  } catch (const tb::Error& e) {
    const std::string msg = e.what();
    INFO("message: " << msg);
    CHECK(e.kind() == tb::ErrorKind::BadInput);
    CHECK(msg.find('\n') == std::string::npos);
    for (const auto& p : parts) CHECK(msg.find(p) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("WordLevel + WhitespaceSplit: MMM tokens, unknown word, added token, decode") {
  ScratchDir dir;
  const auto tok =
      tb::load_tokenizer_json(dir.write("tokenizer.json", mmm_json("WhitespaceSplit")));
  CHECK(tok->kind() == "hf-wordlevel");
  CHECK(tok->vocab_size() == 14);
  CHECK(tok->specials().unk == 0);
  CHECK(tok->specials().pad == 1);
  CHECK_FALSE(tok->specials().add_bos);
  const std::string text =
      "PIECE_START TRACK_START INST=0 BAR_START NOTE_ON=61 TIME_DELTA=4 NOTE_OFF=61 "
      "NOTE_ON=99 BAR_END TRACK_END";
  const Ids ids = tok->encode(text);
  CHECK(ids == Ids{2, 3, 4, 5, 6, 7, 8, 0, 9, 10});
  // No decoder: tokens joined with spaces, as HF does; the unknown word comes back as [UNK].
  CHECK(tok->decode(ids) ==
        "PIECE_START TRACK_START INST=0 BAR_START NOTE_ON=61 TIME_DELTA=4 NOTE_OFF=61 [UNK] "
        "BAR_END TRACK_END");
  // Added tokens are split off first, even without surrounding spaces.
  CHECK(tok->encode("BAR_START[PAD]BAR_END\n\tTRACK_END") == Ids{5, 1, 9, 10});
  CHECK(tok->encode("") == Ids{});
  CHECK(tok->token_to_id("NOTE_ON=61") == 6);
  CHECK(tok->token_to_id("nope") == -1);
  CHECK(tok->id_to_token(7) == "TIME_DELTA=4");
}

TEST_CASE("WordLevel + Whitespace splits punctuation off words") {
  ScratchDir dir;
  const auto tok = tb::load_tokenizer_json(dir.write("tokenizer.json", mmm_json("Whitespace")));
  // \w+|[^\w\s]+ : "NOTE_ON=61" is three pieces.
  CHECK(tok->encode("NOTE_ON=61 BAR_END x") == Ids{11, 12, 13, 9, 0});
}

TEST_CASE("BPE byte-level on a hand-traced vocabulary") {
  // Merges by rank: "a b" (0), "ab c" (1), "Ġ a" (2); the regex splits " abc" off "abc".
  ScratchDir dir;
  const auto tok = tb::load_tokenizer_json(dir.write("tokenizer.json", R"({
    "added_tokens": [], "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "unk_token": null,
      "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "abc": 5, "Ġa": 6},
      "merges": ["a b", ["ab", "c"], "Ġ a"]}})"));
  CHECK(tok->kind() == "hf-bpe-byte-level");
  // "abc" -> a b c -> ab c -> abc; " abc" -> Ġ a b c -> Ġ ab c (rank 0 first) -> Ġ abc.
  CHECK(tok->encode("abc abc") == Ids{5, 3, 5});
  CHECK(tok->encode(" ab") == Ids{3, 4});
  CHECK(tok->encode(" a") == Ids{6});
  // No unk token: a character outside the vocabulary is dropped, as HF does.
  // The neighbours of the dropped character then merge.
  CHECK(tok->encode("axb") == Ids{4});
  CHECK(tok->decode(Ids{5, 3, 5}) == "abc abc");
}

TEST_CASE("BPE SentencePiece-style with byte fallback and the older Metaspace form") {
  ScratchDir dir;
  const auto tok = tb::load_tokenizer_json(dir.write("tokenizer.json", R"({
    "added_tokens": [{"id": 1, "content": "<s>", "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": true},
    "decoder": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": true},
    "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
      "vocab": {"<unk>": 0, "<s>": 1, "<0x0A>": 2, "<0xC3>": 3, "<0xA9>": 4, "▁": 5, "a": 6,
                "▁a": 7},
      "merges": [["▁", "a"]]}})"));
  CHECK(tok->kind() == "hf-bpe-spm");
  // "a a\n" -> ▁a ▁a <0x0A>; "é" (C3 A9) -> ▁ <0xC3> <0xA9>; "b" has no byte token -> unk.
  CHECK(tok->encode("a a\n") == Ids{7, 7, 2});
  CHECK(tok->encode("é") == Ids{5, 3, 4});
  CHECK(tok->encode("<s>a") == Ids{1, 7});
  CHECK(tok->encode("bb") == Ids{5, 0});  // fuse_unk: one <unk> for the run
  CHECK(tok->decode(Ids{7, 7}) == "a a");
}

TEST_CASE("bad tokenizer.json: one line naming the file and the field") {
  ScratchDir dir;
  auto load = [&](const std::string& text) {
    return [&dir, text] { tb::load_tokenizer_json(dir.write("tokenizer.json", text)); };
  };
  const std::string file = (dir.path() / "tokenizer.json").string();
  expect_bad_input(load(R"({"model": {"type": "BPE", )"), {file, "malformed JSON"});
  expect_bad_input(load(R"([1, 2])"), {file, "(document)", "expected an object"});
  expect_bad_input(load(R"({"added_tokens": []})"), {file + ": model: missing"});
  expect_bad_input(load(R"({"model": {"type": "Unigram", "vocab": []}})"),
                   {file + ": model.type:", "'Unigram'"});
  expect_bad_input(load(R"({"model": {"type": "BPE", "merges": []}})"),
                   {file + ": model.vocab: missing"});
  expect_bad_input(load(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": "1"}, "merges": []}})"),
                   {file + ": model.vocab[\"b\"]: expected an integer"});
  expect_bad_input(load(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})"),
                   {file + ": model.vocab[\"b\"]: id 0 used by another token"});
  // A token with a newline is quoted escaped: the message stays one line.
  expect_bad_input(load(R"({"model": {"type": "BPE", "vocab": {"\t": 0, "\n": 0}, "merges": []}})"),
                   {file + R"(: model.vocab["\n"]: id 0 used by another token)"});
  const std::string vocab = R"("vocab": {"a": 0, "b": 1, "ab": 2})";
  expect_bad_input(
      load(R"({"model": {"type": "BPE", )" + vocab + R"(, "merges": ["a b", "a c"]}})"),
      {file + ": model.merges[1]: 'c' is not in model.vocab"});
  expect_bad_input(load(R"({"model": {"type": "BPE", )" + vocab + R"(, "merges": ["b a"]}})"),
                   {file + ": model.merges[0]: 'ba' is not in model.vocab"});
  expect_bad_input(
      load(R"({"model": {"type": "BPE", )" + vocab + R"(, "merges": ["a b", ["a"]]}})"),
      {file + R"(: model.merges[1]: expected "a b" string or [a, b] pair)"});
  expect_bad_input(load(R"({"model": {"type": "BPE", )" + vocab + R"(, "merges": ["a  b"]}})"),
                   {file + ": model.merges[0]: expected"});
  expect_bad_input(load(R"({"model": {"type": "BPE", )" + vocab + R"(, "merges": {}}})"),
                   {file + ": model.merges: expected an array"});
  expect_bad_input(
      load(R"({"model": {"type": "BPE", "unk_token": "<unk>", )" + vocab + R"(, "merges": []}})"),
      {file + ": model.unk_token:", "'<unk>'"});
  expect_bad_input(load(R"({"added_tokens": [{"id": -3, "content": "x"}],
                           "model": {"type": "WordLevel", "vocab": {}}})"),
                   {file + ": added_tokens[0].id: id -3 out of range"});
  expect_bad_input(load(R"({"pre_tokenizer": {"type": "Split", "behavior": "Isolated",
                           "pattern": {"Regex": "(unclosed"}},
                           "model": {"type": "WordLevel", "vocab": {}}})"),
                   {file + ": pre_tokenizer.pattern", "regex does not compile"});
  expect_bad_input(load(R"({"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}]},
                           "model": {"type": "WordLevel", "vocab": {}}})"),
                   {file + ": normalizer.normalizers[0].type: unsupported normalizer 'NFKC'"});
  expect_bad_input(load(R"({"decoder": {"type": "Strip", "content": " ", "start": "1", "stop": 0},
                           "model": {"type": "WordLevel", "vocab": {}}})"),
                   {file + ": decoder.start: expected an integer"});
  CHECK_THROWS_AS(tb::load_tokenizer_json(dir.path() / "absent.json"), tb::Error);
}

TEST_CASE("bad GPT-2 vocab.json / merges.txt and a corrupt tokenizer.model") {
  ScratchDir dir;
  const auto merges = dir.write("merges.txt", "#version: 0.2\na b\n");
  const auto vocab = dir.write("vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  CHECK(tb::load_gpt2_vocab_merges(vocab, merges)->encode("ab") == Ids{2});

  const auto v1 = dir.write("v1.json", R"({"a": 0, "b": "one"})");
  expect_bad_input([&] { tb::load_gpt2_vocab_merges(v1, merges); },
                   {v1.string() + ": [\"b\"]: expected an integer id"});
  const auto v2 = dir.write("v2.json", R"(["a", "b"])");
  expect_bad_input([&] { tb::load_gpt2_vocab_merges(v2, merges); },
                   {v2.string(), "expected an object"});
  const auto v3 = dir.write("v3.json", R"({"a": 0,)");
  expect_bad_input([&] { tb::load_gpt2_vocab_merges(v3, merges); },
                   {v3.string(), "malformed JSON"});
  const auto m1 = dir.write("m1.txt", "#version: 0.2\na b\na q\n");
  expect_bad_input([&] { tb::load_gpt2_vocab_merges(vocab, m1); },
                   {m1.string() + ": line 3: 'a q'"});
  const auto m2 = dir.write("m2.txt", "a b c\n");
  expect_bad_input([&] { tb::load_gpt2_vocab_merges(vocab, m2); },
                   {m2.string() + ": line 1: expected \"a b\""});

  const auto corrupt = dir.write("tokenizer.model", std::string("\x0a\xff\xff\xff\x0fgarbage", 12));
  expect_bad_input([&] { tb::load_sentencepiece(corrupt); },
                   {corrupt.string() + ": ModelProto: not a SentencePiece model"});
  const auto text = dir.write("text.model", "this is not a protobuf at all\n");
  expect_bad_input([&] { tb::load_sentencepiece(text); }, {text.string() + ": ModelProto"});
}
