// The prefix-shared scorer (one pass per question, one few-shot block per chunk) gives the
// predictions and per-option scores of independent full-sequence scoring, on the bundled model.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "runners/model_loading.hpp"
#include "runners/request_dispatch.hpp"
#include "suites/registry.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

fs::path bundled_model() {
  const char* override_model = std::getenv("TB_TEST_MODEL");
  return override_model ? fs::path(override_model)
                        : test::source_dir() / "data/models/tiny-abc-llama";
}

tb::LoadedModel load(bool share) {
  tb::ModelOptions options;
  options.dir = bundled_model();
  options.device = "cpu";
  options.threads = 1;  // ctest runs tests side by side: spinning BLAS threads would fight
  options.lm.share_prefixes = share;
  return tb::load_language_model(options);
}

// Scores the documents with both engines and compares every option's score and prediction.
void compare(tb::Suite& suite, const std::set<std::string>& subsets, tb::LanguageModel& shared,
             tb::LanguageModel& independent, int chunk) {
  std::vector<const tb::Doc*> docs;
  for (const tb::Doc& d : suite.docs()) {
    if (subsets.empty() || subsets.count(d.subset)) docs.push_back(&d);
  }
  REQUIRE_FALSE(docs.empty());
  int64_t checked = 0;
  for (size_t begin = 0; begin < docs.size(); begin += static_cast<size_t>(chunk)) {
    const size_t end = std::min(docs.size(), begin + static_cast<size_t>(chunk));
    std::vector<std::vector<tb::LmRequest>> requests;
    for (size_t i = begin; i < end; ++i) requests.push_back(suite.requests(*docs[i]));
    const auto fast = tb::answer_requests(shared, requests);
    const auto slow = tb::answer_requests(independent, requests);
    for (size_t i = begin; i < end; ++i) {
      const tb::SampleResult a = suite.score(*docs[i], fast[i - begin]);
      const tb::SampleResult b = suite.score(*docs[i], slow[i - begin]);
      CAPTURE(a.doc_id);
      CHECK(a.prediction == b.prediction);
      REQUIRE(a.option_scores.size() == b.option_scores.size());
      for (size_t o = 0; o < a.option_scores.size(); ++o) {
        CHECK(std::abs(a.option_scores[o] - b.option_scores[o]) < 1e-4);
      }
      ++checked;
    }
  }
  MESSAGE(suite.name() << " " << suite.version() << ": " << checked << " documents agree");
}

}  // namespace

TEST_CASE("shared-prefix scoring equals independent scoring on every bundled question") {
  if (!fs::exists(bundled_model() / "config.json")) {
    MESSAGE("skipped: the bundled tiny-abc-llama is not there");
    return;
  }
  tb::LoadedModel shared = load(true);
  tb::LoadedModel independent = load(false);
  for (const std::string name :
       {"mtb", "mtb-5shot", "mtb-shuffle", "mmlu", "mmlu-0shot", "mmlu-opencompass"}) {
    CAPTURE(name);
    auto suite = tb::load_suite(name);
    compare(*suite, {}, *shared.lm, *independent.lm, 32);
  }
  const tb::ScoringStats& s = shared.lm->stats();
  const tb::ScoringStats& i = independent.lm->stats();
  MESSAGE("input tokens computed: shared " << s.computed_tokens << ", independent "
                                           << i.computed_tokens);
  CHECK(s.computed_tokens * 3 < i.computed_tokens);
}

TEST_CASE("shared-prefix scoring equals independent scoring on 3 real MMLU subjects" *
          doctest::skip(!test::have_shared())) {
  REQUIRE(fs::exists(bundled_model() / "config.json"));
  tb::LoadedModel shared = load(true);
  tb::LoadedModel independent = load(false);
  for (const std::string name : {"mmlu", "mmlu-opencompass"}) {
    CAPTURE(name);
    auto suite = tb::load_suite(name, (test::shared_data() / "mmlu").string());
    compare(*suite, {"abstract_algebra", "business_ethics", "college_chemistry"}, *shared.lm,
            *independent.lm, 32);
  }
}
