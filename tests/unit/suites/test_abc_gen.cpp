// abc-gen: held-out prompts (expected texts from tools/abc_corpus.py on the same input), the
// suite's documents and requests, and per-sample values on hand-made generations.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "harness/core/error.hpp"
#include "suites/abc_prompts.hpp"
#include "suites/registry.hpp"
#include "tests/unit/suites/test_helpers.hpp"
#include "tests/unit/test_paths.hpp"

using namespace tb;

namespace {

// The expected texts below are what /usr/bin/python3 tools/abc_corpus.py (tunes_in_text and
// Tune.model_text) gives for this content.
const std::string kFile =
    "%abc-2.1\n% comment\nX: 3\nT:First\nN:note\nM: 6/8\nK:G\n|:GAB \"Am\"c2d|e2f g3:|\nw: "
    "words\n\nX:4\r\nT:Second\nM:2/4\nK:D  \n  DE [CE]|   FG |  AB|]\n";

std::unique_ptr<Suite> quick_suite(const std::string& extra = "") {
  const auto spec = test::write_temp(
      "abc_gen.json", R"({"name": "g", "kind": "abc-gen", "version": "v", "data": "unused",
                          "n": 3, "seed": 40, "top_k": 7, "max_new_tokens": 9)" +
                          extra + "}");
  return load_suite(spec.string());
}

LmResponse response(const std::string& text, const std::string& finish,
                    std::vector<int32_t> tokens) {
  LmResponse r;
  r.text = text;
  r.finish = finish;
  r.tokens = std::move(tokens);
  return r;
}

}  // namespace

TEST_CASE("held-out prompts: extraction, model text, header and first two bars") {
  const auto tunes = suites::corpus_tunes("x/a.abc", kFile);
  REQUIRE(tunes.size() == 2);
  CHECK(tunes[0].xnum == "3");
  CHECK(tunes[0].index == 0);
  CHECK(tunes[0].text ==
        "X: 3\nT:First\nN:note\nM: 6/8\nK:G\n|:GAB \"Am\"c2d|e2f g3:|\nw: words\n");
  CHECK(tunes[1].xnum == "4");
  CHECK(tunes[1].index == 1);
  CHECK(tunes[1].text == "X:4\nT:Second\nM:2/4\nK:D\n  DE [CE]|   FG |  AB|]\n");

  const std::string first = suites::model_text(tunes[0].text);
  const std::string second = suites::model_text(tunes[1].text);
  CHECK(first == "X:3\nT:First\nM:6/8\nL:1/8\nK:G\n|:GAB \"Am\"c2d|e2f g3:|\n");
  CHECK(second == "X:4\nT:Second\nM:2/4\nL:1/16\nK:D\nDE [CE]| FG | AB|]\n");

  CHECK(suites::header_prompt(first) == "X:3\nT:First\nM:6/8\nL:1/8\nK:G\n");
  // The opening "|:" is not a bar's end; the chord symbol's text is skipped; ":|" ends bar 2.
  CHECK(suites::bars_prompt(first) == "X:3\nT:First\nM:6/8\nL:1/8\nK:G\n|:GAB \"Am\"c2d|e2f g3:|");
  // "[CE]" is a chord, not a bar line.
  CHECK(suites::bars_prompt(second) == "X:4\nT:Second\nM:2/4\nL:1/16\nK:D\nDE [CE]| FG |");
  // Fewer than two bars: the whole text.
  CHECK(suites::bars_prompt("X:1\nK:C\nCDEF|\n") == "X:1\nK:C\nCDEF|\n");
}

TEST_CASE("abc-gen: documents, seeds and generation requests from the spec") {
  const auto suite = quick_suite();
  REQUIRE(suite->docs().size() == 3);
  const auto requests = suite->requests(suite->docs()[2]);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].type == LmRequest::Type::Generate);
  CHECK(requests[0].context == "X:1\n");
  CHECK(requests[0].sampling.seed == 42);  // base 40 + document 2
  CHECK(requests[0].sampling.top_k == 7);
  CHECK(requests[0].sampling.max_new_tokens == 9);
  CHECK(requests[0].sampling.temperature == 1.0);
  CHECK(requests[0].sampling.stop == std::vector<std::string>{"\n\n", "\nX:"});
  CHECK(requests[0].sampling.token_healing);  // the prompts end in a newline
  CHECK(suite->options().at("sampling").at("token_healing") == true);
  CHECK_FALSE(quick_suite(R"(, "token_healing": false)")
                  ->requests(suite->docs()[0])[0]
                  .sampling.token_healing);
  CHECK_FALSE(suite->options().contains("data"));  // unconditional prompts read no data

  const std::string bad = test::bad_input_message([] { quick_suite(R"(, "prompt": "middle")"); });
  CHECK(bad.find("prompt: \"middle\" is not one of unconditional, header, bars") !=
        std::string::npos);
  CHECK(test::bad_input_message([] {
          quick_suite(R"(, "reference": "corpus")");
        }).find("reference: \"corpus\" is not one of heldout, none") != std::string::npos);
  CHECK(test::bad_input_message([] {
          quick_suite(R"(, "layout": 1)");
        }).find("layout: must be a string") != std::string::npos);
  const std::string no_list =
      test::bad_input_message([] { quick_suite(R"(, "prompt": "header", "heldout": 3)"); });
  CHECK(no_list.find("heldout: a path is needed") != std::string::npos);
  CHECK(test::bad_input_message([] { quick_suite(R"(, "top_p": 2)"); }).find("top_p") !=
        std::string::npos);
  CHECK(test::bad_input_message([] {
          quick_suite(R"(, "token_healing": "yes")");
        }).find("token_healing: must be true or false") != std::string::npos);
}

TEST_CASE("abc-gen: per-sample validity and repetition values, means with standard errors") {
  const auto suite = quick_suite();
  const Doc& doc = suite->docs()[0];
  // A complete two-bar tune stopped by a stop string; tokens a b a b a b.
  const auto good = suite->score(
      doc, std::vector<LmResponse>{response("T:Test\nM:4/4\nL:1/8\nK:C\nCDEF GABc|cBAG FEDC|]",
                                            "stop", {5, 6, 5, 6, 5, 6})});
  CHECK(good.prompt == "X:1\n");
  // The stored response is the completion alone; validity measures prompt + completion.
  CHECK(good.response == "T:Test\nM:4/4\nL:1/8\nK:C\nCDEF GABc|cBAG FEDC|]");
  CHECK(good.piece() == "X:1\nT:Test\nM:4/4\nL:1/8\nK:C\nCDEF GABc|cBAG FEDC|]");
  const auto& v = good.values;
  CHECK(v.at("tier1") == 1);
  CHECK(v.at("tier2") == 1);
  CHECK(v.at("tier3") == 1);
  CHECK(v.at("level_at_least_3") == 1);
  CHECK(v.at("level") == 4);
  CHECK(v.at("header_complete") == 1);
  CHECK(v.at("uses_repeats") == 0);
  CHECK(v.at("truncated") == 0);
  CHECK(v.at("loop") == 0);  // periodic, but it stopped on its own
  CHECK(v.at("seq_rep_1") == doctest::Approx(1.0 - 2.0 / 6.0));  // 2 distinct of 6
  CHECK(v.at("seq_rep_2") == doctest::Approx(1.0 - 2.0 / 5.0));  // ab, ba of 5 bigrams
  CHECK(v.at("lrs_ratio") == doctest::Approx(4.0 / 6.0));        // "a b a b" occurs twice
  CHECK(v.at("bar_repetition") == 0);
  CHECK(v.at("finish_stop") == 1);
  CHECK(v.at("tokens") == 6);
  // Statistics of the notes: C D E F G A B c and back, eighth notes at the default 120 bpm.
  CHECK(v.at("total_used_pitch") == 8);
  CHECK(v.at("pitch_range") == 12);  // C (60) to c (72)
  CHECK(v.at("scale_consistency") == 1);
  CHECK(v.at("avg_IOI") == doctest::Approx(0.25));
  CHECK(v.at("polyphony") == 1);

  // Cut at the token limit mid-bar, stuck in a loop: no M: or L: (ABC 2.1 defaults both, so
  // tier 2 holds but not all of X/T/M/L/K are there), truncated, loop.
  const auto stuck =
      suite->score(doc, std::vector<LmResponse>{response("T:Loop\nK:C\nCDEF|CDEF|CD", "length",
                                                         {7, 8, 7, 8, 7, 8, 7, 8})});
  CHECK(stuck.values.at("header_complete") == 0);
  CHECK(stuck.values.at("tier2") == 1);
  CHECK(stuck.values.at("level_at_least_2") == 1);
  CHECK(stuck.values.at("truncated") == 1);
  CHECK(stuck.values.at("loop") == 1);
  CHECK(stuck.values.at("bar_repetition") == doctest::Approx(1.0 / 3.0));  // CDEF twice, CD

  // Everything but L: the ABC 2.1 default applies (tier 2), yet not every field is there.
  const auto no_unit = suite->score(
      doc, std::vector<LmResponse>{response("T:U\nM:4/4\nK:C\nCDEF GABc|]", "stop", {1, 2})});
  CHECK(no_unit.values.at("header_complete") == 0);
  CHECK(no_unit.values.at("tier2") == 1);
  CHECK(no_unit.values.at("tier1") == 1);
  CHECK(stuck.values.at("finish_length") == 1);

  const auto metrics = suite->aggregate(std::vector<SampleResult>{good, stuck});
  auto find = [&](const std::string& name) {
    for (const MetricValue& m : metrics) {
      if (m.name == name) return m;
    }
    FAIL("no metric " << name);
    return MetricValue{};
  };
  // Values 1 and 0: mean 0.5, sample variance 0.5, standard error sqrt(0.5 / 2) = 0.5.
  CHECK(find("header_complete").value == doctest::Approx(0.5));
  CHECK(find("header_complete").standard_error == doctest::Approx(0.5));
  CHECK(find("header_complete").n == 2);
  CHECK(find("tier2").value == doctest::Approx(1.0));
  std::set<std::string> names;  // every per-sample value is aggregated, and nothing else
  for (const auto* r : {&good, &stuck}) {
    for (const auto& [name, value] : r->values) names.insert(name);
  }
  CHECK(metrics.size() == names.size());
  CHECK(names.size() == 25 + 13);  // 13 scalar statistics (no drums: no drum_pattern_consistency)
  CHECK(find("loop").value == doctest::Approx(0.5));
  CHECK_FALSE(find("loop").higher_is_better);
  CHECK(find("tier1").higher_is_better);
}

TEST_CASE("abc-gen: header and bars prompts from the real held-out list" *
          doctest::skip(!test::have_shared())) {
  const auto tunes = suites::load_heldout_tunes(
      test::shared_data() / "abc", test::source_dir() / "data/models/tiny-abc-llama/heldout.tsv");
  CHECK(tunes.size() == 211);
  for (const char* name : {"abc-gen-header", "abc-gen-bars"}) {
    CAPTURE(name);
    const auto suite = load_suite(name, (test::shared_data() / "abc").string());
    REQUIRE(suite->docs().size() == 64);
    for (size_t i = 0; i < 64; ++i) {
      const std::string prompt = suite->docs()[i].data.at("prompt").get<std::string>();
      CHECK(prompt.starts_with("X:" + tunes[i].xnum + "\n"));
      CHECK(tunes[i].text.starts_with(prompt));
      const std::string header = suites::header_prompt(tunes[i].text);
      CHECK(prompt.starts_with(header));
      CHECK(header.find("\nK:") != std::string::npos);
      if (std::string(name) == "abc-gen-header") CHECK(prompt == header);
    }
  }
}
