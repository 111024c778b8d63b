// MMLU items from a CSV file (the original release) and from a JSON Lines / JSON array file
// (the Hugging Face schema); the first input byte picks the format.
#include "suites/csv_reader.hpp"
#include "suites/mmlu_items.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text = tb::fuzz::as_text(data + 1, size - 1);
  const bool csv = (data[0] & 1) == 0;
  const auto path = tb::fuzz::write_scratch(csv ? "astronomy_dev.csv" : "mmlu.jsonl", text);
  tb::fuzz::expect_clean([&] {
    if (csv) (void)tb::suites::parse_csv(text, "fuzz.csv");
    (void)tb::suites::load_mmlu_items(path);
  });
  return 0;
}
