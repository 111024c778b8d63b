// A SentencePiece tokenizer.model (protobuf): load, encode, decode.
#include "harness/tokenizer/tokenizer.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = tb::fuzz::write_scratch("tokenizer.model", tb::fuzz::as_text(data, size));
  tb::fuzz::expect_clean([&] {
    const auto tok = tb::load_sentencepiece(path);
    std::vector<int32_t> ids = tok->encode("X:1\nT:Tune\nK:G\n|:GAB c2d|");
    ids.push_back(-1);
    ids.push_back(tok->vocab_size());
    (void)tok->decode(ids);
  });
  return 0;
}
