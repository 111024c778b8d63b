// MusicTheoryBench rows (JSON Lines or a JSON array).
#include "suites/mtb_items.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = tb::fuzz::write_scratch("mtb_dev.jsonl", tb::fuzz::as_text(data, size));
  tb::fuzz::expect_clean([&] {
    for (const auto& item : tb::suites::load_mtb_items(path)) (void)tb::suites::mtb_input(item);
  });
  return 0;
}
