// MusicXML (.musicxml text or a zipped .mxl): the reader, then the features computed from its
// notes. Seeds (seeds/musicxml): a two-note score, and the inputs of issue 31 that it read into
// garbage with exit 0 (<divisions> whose lcm overflowed, a second root element).
#include "metrics/notes/musicxml.hpp"
#include "metrics/statistics/features.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tb::fuzz::expect_clean([&] {
    const tb::notes::NoteSequence seq =
        tb::notes::parse_musicxml(tb::fuzz::as_text(data, size), "fuzz.musicxml");
    (void)tb::metrics::statistics::piece_features(seq);
  });
  return 0;
}
