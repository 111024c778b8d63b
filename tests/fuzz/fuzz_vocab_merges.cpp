// GPT-2 vocab.json + merges.txt: "vocab.json bytes \0\0 merges.txt bytes", then encode/decode.
#include "harness/tokenizer/tokenizer.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all = tb::fuzz::as_text(data, size);
  const size_t cut = all.find(std::string_view("\0\0", 2));
  const std::string_view vocab = all.substr(0, cut);
  const std::string_view merges = cut == std::string_view::npos ? "" : all.substr(cut + 2);
  const auto vocab_path = tb::fuzz::write_scratch("vocab.json", vocab);
  const auto merges_path = tb::fuzz::write_scratch("merges.txt", merges);
  tb::fuzz::expect_clean([&] {
    const auto tok = tb::load_gpt2_vocab_merges(vocab_path, merges_path);
    const std::vector<int32_t> ids = tok->encode("Hello world, X:1 T:Tune K:G abc|");
    (void)tok->decode(ids);
  });
  return 0;
}
