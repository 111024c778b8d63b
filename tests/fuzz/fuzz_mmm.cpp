// MMM token text: decoding (which never throws: problems are diagnostics), then re-encoding.
#include "metrics/notes/mmm.hpp"
#include "metrics/statistics/features.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tb::fuzz::expect_clean([&] {
    const auto decoded = tb::notes::mmm_decode(tb::fuzz::as_text(data, size));
    (void)tb::notes::mmm_encode(decoded.sequence);
    (void)tb::metrics::statistics::piece_features(decoded.sequence);
  });
  return 0;
}
