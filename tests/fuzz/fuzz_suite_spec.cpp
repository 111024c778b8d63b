// A suite spec .json file.
#include "suites/suite_spec.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = tb::fuzz::write_scratch("suite.json", tb::fuzz::as_text(data, size));
  tb::fuzz::expect_clean([&] { (void)tb::suites::read_suite_spec(path, "/nonexistent-root"); });
  return 0;
}
