// config.json of a checkpoint directory.
#include "harness/io/model_config.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = tb::fuzz::write_scratch("config.json", tb::fuzz::as_text(data, size));
  tb::fuzz::expect_clean([&] { (void)tb::load_model_config(path); });
  return 0;
}
