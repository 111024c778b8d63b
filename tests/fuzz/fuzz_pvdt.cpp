// "p57:v95:d960:t0" note text: reading, writing back, features.
#include "metrics/notes/pvdt_text.hpp"
#include "metrics/statistics/features.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tb::fuzz::expect_clean([&] {
    const auto read = tb::notes::read_pvdt(tb::fuzz::as_text(data, size));
    (void)tb::notes::write_pvdt(read.sequence);
    (void)tb::metrics::statistics::piece_features(read.sequence);
  });
  return 0;
}
