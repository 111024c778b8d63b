// Standard MIDI Files: the reader, then what is computed from its notes (MMM, p:v:d:t, features).
#include "metrics/notes/midi_file.hpp"
#include "metrics/notes/mmm.hpp"
#include "metrics/notes/pvdt_text.hpp"
#include "metrics/statistics/features.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tb::fuzz::expect_clean([&] {
    const tb::notes::NoteSequence seq = tb::notes::parse_midi({data, size}, "fuzz.mid");
    (void)tb::notes::mmm_encode(seq);
    (void)tb::notes::read_pvdt(tb::notes::write_pvdt(seq));
    (void)tb::metrics::statistics::piece_features(seq);
  });
  return 0;
}
