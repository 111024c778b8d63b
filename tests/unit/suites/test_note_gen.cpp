// mmm-gen and pvdt-gen: every validity check on a hand-made passing and failing text, the
// suites' documents and prompts, per-sample values and aggregation with a reference set.
#include <doctest/doctest.h>

#include <cmath>

#include "metrics/notes/mmm_validity.hpp"
#include "metrics/notes/pvdt_validity.hpp"
#include "suites/registry.hpp"
#include "tests/unit/suites/test_helpers.hpp"
#include "tests/unit/test_paths.hpp"

using namespace tb;
using notes::mmm_validity;
using notes::pvdt_validity;

namespace {

// A well-formed 4-bar sample: one track, a C held for a beat in bar 1, an E-G dyad in bar 3.
const std::string kBar1 = "BAR_START NOTE_ON=60 TIME_DELTA=4 NOTE_OFF=60 BAR_END";
const std::string kEmpty = "BAR_START BAR_END";
const std::string kBar3 =
    "BAR_START TIME_DELTA=8 NOTE_ON=64 NOTE_ON=67 TIME_DELTA=8 NOTE_OFF=64 NOTE_OFF=67 BAR_END";
std::string sample(const std::string& bars) {
  return "PIECE_START TRACK_START INST=0 " + bars + " TRACK_END";
}
const std::string kGood = sample(kBar1 + " " + kEmpty + " " + kBar3 + " " + kEmpty);

std::unique_ptr<Suite> suite_from(const std::string& kind, const std::string& extra = "") {
  const auto spec = test::write_temp(
      kind + ".json", R"({"name": "g", "kind": ")" + kind +
                          R"(", "version": "v", "data": "unused", "n": 3, "seed": 40)" + extra +
                          "}");
  return load_suite(spec.string());
}

LmResponse response(const std::string& text, const std::string& finish = "eos") {
  LmResponse r;
  r.text = text;
  r.finish = finish;
  for (size_t i = 0; i < text.size(); ++i) r.tokens.push_back(text[i] == ' ' ? 1 : 2);
  return r;
}

}  // namespace

TEST_CASE("mmm validity: the well-formed sample passes every check") {
  const auto v = mmm_validity(kGood);
  CHECK(v.piece);
  CHECK(v.tracks);
  CHECK(v.bars);
  CHECK(v.notes);
  CHECK(v.bar_length);
  CHECK(v.bar_count);
  CHECK(v.known_tokens);
  CHECK(v.valid);
  CHECK(v.track_count == 1);
  REQUIRE(v.bar_texts.size() == 4);
  CHECK(v.bar_texts[0] == "NOTE_ON=60 TIME_DELTA=4 NOTE_OFF=60");
  CHECK(v.bar_texts[1].empty());
  // Two tracks are fine too.
  CHECK(mmm_validity(kGood + " TRACK_START INST=5 " + kEmpty + " " + kEmpty + " " + kEmpty + " " +
                     kEmpty + " TRACK_END")
            .valid);
}

TEST_CASE("mmm validity: each check fails on its own hand-made case") {
  const std::string rest = " " + kEmpty + " " + kBar3 + " " + kEmpty;
  // piece: missing, not first, or repeated.
  CHECK_FALSE(mmm_validity(kGood.substr(12)).piece);
  CHECK_FALSE(mmm_validity(kGood + " PIECE_START").piece);
  // tracks: no INST after TRACK_START, unclosed track, nested track, no track at all.
  CHECK_FALSE(mmm_validity("PIECE_START TRACK_START " + kBar1 + rest + " TRACK_END").tracks);
  CHECK_FALSE(mmm_validity(kGood.substr(0, kGood.size() - 10)).tracks);
  CHECK_FALSE(mmm_validity("PIECE_START TRACK_START INST=0 TRACK_START INST=0 TRACK_END").tracks);
  CHECK_FALSE(mmm_validity("PIECE_START").tracks);
  CHECK(mmm_validity(kGood.substr(0, kGood.size() - 10)).bars);  // the bars themselves are fine
  // bars: unclosed bar, BAR_END without BAR_START, a note outside a bar.
  CHECK_FALSE(mmm_validity(sample("BAR_START NOTE_ON=60 TIME_DELTA=4 NOTE_OFF=60" + rest)).bars);
  CHECK_FALSE(mmm_validity(sample(kBar1 + " BAR_END" + rest)).bars);
  CHECK_FALSE(mmm_validity(sample("NOTE_ON=60 " + kBar1 + rest)).bars);
  // notes: NOTE_OFF without NOTE_ON, a note left open at BAR_END, NOTE_ON at the bar's end.
  const auto off = mmm_validity(sample("BAR_START TIME_DELTA=4 NOTE_OFF=60 BAR_END" + rest));
  CHECK_FALSE(off.notes);
  CHECK(off.bars);
  CHECK_FALSE(mmm_validity(sample("BAR_START NOTE_ON=60 TIME_DELTA=4 BAR_END" + rest)).notes);
  CHECK_FALSE(mmm_validity(sample("BAR_START TIME_DELTA=16 NOTE_ON=60 BAR_END" + rest)).notes);
  // bar_length: 17 steps in a 4/4 bar of 16 sixteenths; exactly 16 passes.
  const auto longer = mmm_validity(
      sample("BAR_START NOTE_ON=60 TIME_DELTA=16 TIME_DELTA=1 NOTE_OFF=60 BAR_END" + rest));
  CHECK_FALSE(longer.bar_length);
  CHECK(longer.notes);
  CHECK(mmm_validity(sample("BAR_START NOTE_ON=60 TIME_DELTA=16 NOTE_OFF=60 BAR_END" + rest))
            .bar_length);
  // bar_count: three or five bars in a track.
  CHECK_FALSE(
      mmm_validity(sample(kBar1 + rest.substr(0, rest.size() - kEmpty.size() - 1))).bar_count);
  const auto five = mmm_validity(sample(kBar1 + rest + " " + kEmpty));
  CHECK_FALSE(five.bar_count);
  CHECK(five.bars);
  CHECK_FALSE(five.valid);
  // known_tokens: an out-of-range value and a foreign word.
  CHECK_FALSE(mmm_validity(sample("BAR_START NOTE_ON=128 TIME_DELTA=4 NOTE_OFF=128 BAR_END" + rest))
                  .known_tokens);
  CHECK_FALSE(mmm_validity(kGood + " hello").known_tokens);
  CHECK(
      mmm_validity(sample("BAR_START NOTE_ON=128 TIME_DELTA=4 NOTE_OFF=128 BAR_END" + rest)).notes);
}

TEST_CASE("p:v:d:t validity: each check passes and fails on hand-made texts") {
  const auto good = pvdt_validity("p60:v90:d480:t0 p64:v80:d480:t0:b-200\np67:v80:d960:t480");
  CHECK(good.valid);
  CHECK(good.nonempty);
  CHECK(good.well_formed);
  CHECK(good.pitch_range);
  CHECK(good.velocity_range);
  CHECK(good.duration_positive);
  CHECK(good.bend_range);
  CHECK(good.tokens == 3);
  CHECK(good.bends == 1);
  CHECK(good.notes_text == "p60:v90:d480:t0 p64:v80:d480:t0 p67:v80:d960:t480");
  CHECK_FALSE(pvdt_validity("  \n").nonempty);
  CHECK_FALSE(pvdt_validity("  \n").valid);
  for (const char* bad : {"p60:v90:d480", "v90:p60:d480:t0", "p60:v90:d480:t0:x1", "p6a:v90:d4:t0",
                          "p60:v90:d480:t0:b", "p60:v90:d480:t-5", "p60:v90:d480:t0:b1:b2"}) {
    CAPTURE(bad);
    const auto v = pvdt_validity(std::string("p60:v90:d480:t0 ") + bad);
    CHECK_FALSE(v.well_formed);
    CHECK(v.notes_text == "p60:v90:d480:t0");  // the malformed token is left out
  }
  CHECK_FALSE(pvdt_validity("p128:v90:d480:t0").pitch_range);
  CHECK(pvdt_validity("p127:v90:d480:t0").pitch_range);
  CHECK_FALSE(pvdt_validity("p60:v0:d480:t0").velocity_range);
  CHECK_FALSE(pvdt_validity("p60:v128:d480:t0").velocity_range);
  CHECK(pvdt_validity("p60:v1:d480:t0").velocity_range);
  CHECK_FALSE(pvdt_validity("p60:v90:d0:t0").duration_positive);
  CHECK(pvdt_validity("p60:v90:d1:t0").duration_positive);
  CHECK_FALSE(pvdt_validity("p60:v90:d480:t0:b8192").bend_range);
  CHECK_FALSE(pvdt_validity("p60:v90:d480:t0:b-8193").bend_range);
  CHECK(pvdt_validity("p60:v90:d480:t0:b8191 p60:v90:d480:t0:b-8192").bend_range);
}

TEST_CASE("mmm-gen: prompts, requests and per-sample values on hand-made generations") {
  const auto suite = suite_from("mmm-gen", R"(, "reference": "none", "max_new_tokens": 9)");
  REQUIRE(suite->docs().size() == 3);
  const auto reqs = suite->requests(suite->docs()[1]);
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].type == LmRequest::Type::Generate);
  CHECK(reqs[0].context == "PIECE_START");
  CHECK(reqs[0].sampling.seed == 41);
  CHECK(reqs[0].sampling.max_new_tokens == 9);
  CHECK(reqs[0].sampling.stop == std::vector<std::string>{"PIECE_START"});
  CHECK_FALSE(reqs[0].sampling.token_healing);
  const LmResponse good = response(kGood.substr(std::string("PIECE_START ").size()));
  const SampleResult a = suite->score(suite->docs()[0], std::span(&good, 1));
  // The completion keeps its separator from the prompt's last token; the piece is the whole.
  CHECK(a.response.starts_with(' '));
  CHECK(a.response.substr(1) == kGood.substr(std::string("PIECE_START ").size()));
  CHECK(a.piece() == kGood);
  CHECK(a.values.at("valid") == 1);
  CHECK(a.values.at("decode_clean") == 1);
  CHECK(a.values.at("note_count") == 3);
  CHECK(a.values.at("bar_repetition") == doctest::Approx(0.25));  // the empty bar, repeated once
  CHECK(a.values.at("finish_eos") == 1);
  CHECK(a.values.count("pitch_range") == 1);
  CHECK(a.values.at("pitch_range") == 7);  // 60..67
  const LmResponse bad = response("TRACK_START INST=0 BAR_START NOTE_OFF=60", "length");
  const SampleResult b = suite->score(suite->docs()[1], std::span(&bad, 1));
  CHECK(b.values.at("valid") == 0);
  CHECK(b.values.at("notes") == 0);
  CHECK(b.values.at("decode_clean") == 0);
  CHECK(b.values.at("finish_length") == 1);
  const SampleResult both[] = {a, b};
  const auto metrics = suite->aggregate(both);
  auto metric = [&](const std::string& name) {
    for (const auto& m : metrics) {
      if (m.name == name) return m;
    }
    FAIL("no metric " << name);
    return MetricValue{};
  };
  CHECK(metric("valid").value == 0.5);
  CHECK(metric("valid").n == 2);
  CHECK(metric("tracks").value == 0.5);
  for (const auto& m : metrics) CHECK(m.name.rfind("kl_", 0) != 0);  // no reference
}

TEST_CASE("mmm-gen and pvdt-gen: bad spec fields are exit-2 errors naming the field") {
  auto message = [](const std::string& kind, const std::string& extra) {
    return test::bad_input_message([&] { suite_from(kind, extra); });
  };
  CHECK(message("mmm-gen", R"(, "prompt": "middle")").find("prompt: \"middle\" is not one of") !=
        std::string::npos);
  CHECK(message("mmm-gen", R"(, "prompt": "first_track")").find("heldout") != std::string::npos);
  CHECK(message("mmm-gen", R"(, "prompt_bars": 5)").find("prompt_bars: must be in") !=
        std::string::npos);
  CHECK(message("pvdt-gen", R"(, "stop": "x")").find("stop: must be an array") !=
        std::string::npos);
  CHECK(message("pvdt-gen", R"(, "prefix": 3)").find("prefix: must be a string") !=
        std::string::npos);
}

TEST_CASE("pvdt-gen: per-sample values, bend rate and statistics of the well-formed notes") {
  const auto suite =
      suite_from("pvdt-gen", R"(, "reference": "none", "prefix": "p60:v90:d480:t0 ")");
  CHECK(suite->requests(suite->docs()[0])[0].context == "p60:v90:d480:t0 ");
  const LmResponse r = response("p64:v80:d480:t480:b100 p67:v80:d480:t480 junk");
  const SampleResult s = suite->score(suite->docs()[0], std::span(&r, 1));
  CHECK(s.response == "p64:v80:d480:t480:b100 p67:v80:d480:t480 junk");
  CHECK(s.piece() == "p60:v90:d480:t0 p64:v80:d480:t480:b100 p67:v80:d480:t480 junk");
  CHECK(s.values.at("valid") == 0);
  CHECK(s.values.at("well_formed") == 0);
  CHECK(s.values.at("pitch_in_range") == 1);
  CHECK(s.values.at("velocity_in_range") == 1);
  CHECK(s.values.at("bend_in_range") == 1);
  CHECK(s.values.at("note_count") == 3);
  CHECK(s.values.at("bend_rate") == doctest::Approx(0.25));
  CHECK(s.values.at("pitch_range") == 7);  // the statistic: 60..67
}

TEST_CASE("mmm-gen: held-out prompts and the reference set from the JS Fake Chorales" *
          doctest::skip(!test::have_shared())) {
  const std::string where = R"(, "data": ")" + (test::shared_data() / "midi").string() +
                            R"(", "heldout": "data/models/tiny-mmm-gpt2/heldout.tsv")";
  const auto bars = suite_from("mmm-gen", where + R"(, "prompt": "first_bars")");
  const std::string prompt = bars->requests(bars->docs()[0])[0].context;
  CHECK(prompt.rfind("PIECE_START TRACK_START INST=", 0) == 0);
  CHECK(std::count(prompt.begin(), prompt.end(), '_') > 0);
  CHECK(prompt.size() - prompt.rfind("BAR_END") == 7);  // ends with the second BAR_END
  const auto opts = bars->options();
  CHECK(opts.at("reference") == "heldout");
  CHECK(opts.at("reference_pieces").get<int>() >= 25);
  const auto track = suite_from("mmm-gen", where + R"(, "prompt": "first_track")");
  const std::string t = track->requests(track->docs()[0])[0].context;
  CHECK(t.substr(t.size() - 9) == "TRACK_END");
  // The held-out samples themselves as generations: valid, and close to the reference.
  std::vector<SampleResult> samples;
  for (const Doc& d : track->docs()) {
    LmResponse r = response(d.data.at("sample").get<std::string>().substr(12));
    samples.push_back(track->score(d, std::span(&r, 1)));
    CHECK(samples.back().values.at("valid") == 1);
  }
  const auto metrics = track->aggregate(samples);
  int kl = 0;
  for (const auto& m : metrics) kl += m.name.rfind("kl_", 0) == 0;
  CHECK(kl > 5);
}
