// Hashes, run keys and checkpoint steps parsed from model paths.
#include <doctest/doctest.h>

#include "reports/hashing.hpp"
#include "reports/run_info.hpp"
#include "tests/unit/reports/store_test_util.hpp"

TEST_CASE("FNV-1a 64 matches the published test vectors") {
  // From the FNV reference (isthe.com/chongo/tech/comp/fnv, test vectors for FNV-1a 64).
  CHECK(tb::hash_text("") == "cbf29ce484222325");
  CHECK(tb::hash_text("a") == "af63dc4c8601ec8c");
  CHECK(tb::hash_text("foobar") == "85944171f73967e8");
  CHECK(tb::to_hex16(0x00ff00000000000aULL) == "00ff00000000000a");
}

TEST_CASE("field hashes are length-prefixed") {
  CHECK(tb::FieldHasher().add("ab").add("c").hex() != tb::FieldHasher().add("a").add("bc").hex());
  // "2:ab1:c" hashed in one go, by the definition.
  CHECK(tb::FieldHasher().add("ab").add("c").hex() == tb::hash_text("2:ab1:c"));
}

TEST_CASE("run keys depend on model hash, suite, version and options only") {
  const auto info = tb::test::sample_run_info();
  const auto key = tb::run_key(info);
  CHECK(key.size() == 16);
  auto same = info;
  same.device = "cuda:0";
  same.model_path = "/elsewhere/copy";
  same.seed = 7;
  CHECK(tb::run_key(same) == key);
  auto other = info;
  other.options["shots"] = 5;
  CHECK(tb::run_key(other) != key);
  other = info;
  other.suite = "mmlu";
  CHECK(tb::run_key(other) != key);
  // The documented definition, spelled out.
  CHECK(key == tb::FieldHasher()
                   .add("0123456789abcdef")
                   .add("mtb")
                   .add("1")
                   .add(R"({"mode":"ppl","shots":0})")
                   .hex());
}

TEST_CASE("checkpoint steps are parsed from the usual trainer directory names") {
  using tb::parse_checkpoint_step;
  CHECK(parse_checkpoint_step("/ckpt/mupt-110m/checkpoint-1000") == 1000);
  CHECK(parse_checkpoint_step("/ckpt/mupt-110m/checkpoint-1000/") == 1000);
  CHECK(parse_checkpoint_step("runs/step_2000") == 2000);
  CHECK(parse_checkpoint_step("runs/step-2000/hf") == 2000);
  CHECK(parse_checkpoint_step("megatron/iter_0003000/mp_rank_00") == 3000);
  CHECK(parse_checkpoint_step("deepspeed/global_step500") == 500);
  CHECK(parse_checkpoint_step("out/epoch_3-step_2000") == 2000);
  CHECK(parse_checkpoint_step("a/checkpoint-10/b/checkpoint-20") == 20);  // nearest the end
  CHECK_FALSE(parse_checkpoint_step("/models/llama-7b").has_value());
  CHECK_FALSE(parse_checkpoint_step("/models/ChatMusician").has_value());
  CHECK_FALSE(parse_checkpoint_step("/models/mystep12").has_value());
  CHECK_FALSE(parse_checkpoint_step("/models/checkpoint-final").has_value());
  CHECK_FALSE(parse_checkpoint_step("").has_value());
  CHECK_FALSE(parse_checkpoint_step("step_99999999999999999999999").has_value());  // overflow
}

TEST_CASE("hash_doc of a document that is not UTF-8 (issue 17)") {
  // One Latin-1 byte in an abc-ppl data file: dump() threw type_error.316, exit 70 with the run
  // left "running".
  tb::Doc latin1;
  latin1.id = "tune 3";
  latin1.data = {{"text", "X:1\nT:Caf\xe9\n"}};
  tb::Doc other = latin1;
  other.data = {{"text", "X:1\nT:Caf\xe8\n"}};
  const std::string h = tb::hash_doc(latin1);
  CHECK(h.size() == 16);
  CHECK(h == tb::hash_doc(latin1));
  CHECK(h != tb::hash_doc(other));  // the invalid byte itself is hashed, not only U+FFFD
  // Valid documents keep the hash they had: id, subset, dump.
  tb::Doc valid;
  valid.id = "1";
  valid.data = {{"text", "Caf\xc3\xa9"}};
  CHECK(tb::hash_doc(valid) == tb::FieldHasher().add("1").add("").add(R"({"text":"Café"})").hex());
}
