// ABC text: tune splitting, parsing, validity tiers, bar texts, notes, repetition, features.
#include <span>

#include "metrics/abc/abc.hpp"
#include "metrics/abc/validity.hpp"
#include "metrics/notes/abc_notes.hpp"
#include "metrics/repetition.hpp"
#include "metrics/statistics/features.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace abc = tb::metrics::abc;
  const std::string_view text = tb::fuzz::as_text(data, size);
  tb::fuzz::expect_clean([&] {
    std::vector<abc::Tune> tunes;
    for (const abc::TuneText& t : abc::split_tunes(text)) tunes.push_back(abc::parse_tune(t));
    (void)abc::validity_rates(tunes);
    for (const abc::Tune& tune : tunes) {
      (void)abc::validity(tune);
      const std::vector<std::string> bars = abc::bar_texts(tune);
      (void)tb::metrics::bar_repetition_rate(bars);
      (void)tb::metrics::repetition_stats(std::span<const std::string>(bars));
      const tb::notes::NoteSequence notes = tb::notes::abc_to_notes(tune);
      (void)tb::metrics::statistics::piece_features(notes);
    }
  });
  return 0;
}
