// tokenizer.json: load, then encode a text and decode the ids (and some arbitrary ids). The
// input is "tokenizer.json bytes \0\0 text bytes".
#include "harness/tokenizer/tokenizer.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all = tb::fuzz::as_text(data, size);
  const size_t cut = all.find(std::string_view("\0\0", 2));
  const std::string_view json = all.substr(0, cut);
  const std::string_view text =
      cut == std::string_view::npos ? "X:1\nK:C\nabc|" : all.substr(cut + 2);
  const auto path = tb::fuzz::write_scratch("tokenizer.json", json);
  tb::fuzz::expect_clean([&] {
    const auto tok = tb::load_tokenizer_json(path);
    std::vector<int32_t> ids = tok->encode(text);
    (void)tok->decode(ids);
    for (int32_t id = -2; id < 8; ++id) ids.push_back(id * 977);
    ids.push_back(tok->vocab_size());
    (void)tok->decode(ids);
    for (const int32_t id : ids) (void)tok->id_to_token(id);
  });
  return 0;
}
