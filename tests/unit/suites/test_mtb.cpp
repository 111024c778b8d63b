#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "suites/choice_scoring.hpp"
#include "suites/mtb_items.hpp"
#include "suites/mtb_prompts.hpp"
#include "suites/registry.hpp"
#include "suites/text_util.hpp"
#include "tests/unit/suites/test_helpers.hpp"

using namespace tb::suites;

namespace {

const std::string kHint =
    "Read the following questions from the four options (A, B, C and D) given in each question. "
    "Choose the best option.\n";

std::vector<MtbItem> sample_dev() {
  std::vector<MtbItem> dev;
  for (const MtbItem& item :
       load_mtb_items(tb::test::source_dir() / "data/suites/mtb/musictheorybench_sample.jsonl")) {
    if (item.split == "dev") dev.push_back(item);
  }
  return dev;
}

}  // namespace

TEST_CASE("mtb: zero-shot texts of the real Hugging Face dev rows, written out by hand" *
          doctest::skip(!tb::test::have_shared())) {
  const auto items =
      load_mtb_items(tb::test::shared_data() / "musictheorybench/hf_viewer_dev_examples.json");
  REQUIRE(items.size() == 2);
  CHECK(items[0].id == "13");
  CHECK(items[0].answer == 0);
  CHECK(items[1].answer == 2);
  CHECK(mtb_option_text(items[0], 0, {}) ==
        kHint +
            "Which of the following best describes the seventh chord in the above example?\n"
            "L:1/4\nM:4/4\nK:D\n[FGBd]4 |] %1\n"
            "A. Major seventh in third inversion\n"
            "B. Dominant seventh in second inversion\n"
            "C. Major/minor seventh in third inversion\n"
            "D. Minor seventh in second inversion\n"
            "Answer: A");
  CHECK(mtb_option_text(items[1], 3, {}) ==
        kHint +
            "Which of the following is the name of the note in the above example?\n"
            "L:1/4\nM:4/4\nK:E\n^a4 |] %1\n"
            "A. C-sharp\nB. E-sharp\nC. A-sharp\nD. G-sharp\n"
            "Answer: D");
}

TEST_CASE("mtb: five-shot text with the sample dev items, written out by hand" *
          doctest::skip(!tb::test::have_shared())) {
  const auto items =
      load_mtb_items(tb::test::shared_data() / "musictheorybench/hf_viewer_dev_examples.json");
  const std::vector<MtbItem> dev = sample_dev();
  REQUIRE(dev.size() == 5);
  const std::string expected =
      kHint +
      "How many sharps are in the key signature of E major?\nA. 2\nB. 3\nC. 4\nD. 5\n"
      "Answer: C\n\n"
      "What is the interval between the two notes in the above example?\n"
      "L:1/4\nM:4/4\nK:C\nC2 G2 |]\n"
      "A. Major third\nB. Perfect fourth\nC. Perfect fifth\nD. Major sixth\nAnswer: C\n\n"
      "A melody in C major is transposed up a major second. Which key is the transposed melody "
      "in?\nA. D major\nB. C-sharp major\nC. E-flat major\nD. B-flat major\nAnswer: A\n\n"
      "Which chord is built on the fifth degree of a major scale?\n"
      "A. Tonic\nB. Subdominant\nC. Dominant\nD. Submediant\nAnswer: C\n\n"
      "The melody above ends on its tonic. How many flats does its key signature contain?\n"
      "L:1/8\nM:3/4\nK:Bb\nB2 d2 f2 | e2 c2 A2 | B6 |]\n"
      "A. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n"
      "Which of the following best describes the seventh chord in the above example?\n"
      "L:1/4\nM:4/4\nK:D\n[FGBd]4 |] %1\n"
      "A. Major seventh in third inversion\n"
      "B. Dominant seventh in second inversion\n"
      "C. Major/minor seventh in third inversion\n"
      "D. Minor seventh in second inversion\n"
      "Answer: B";
  CHECK(mtb_option_text(items[0], 1, dev) == expected);
}

TEST_CASE("mtb: input rules: no score keeps the stem as it is; OpenCompass's safe_format quirk") {
  MtbItem plain;
  plain.stem = "  Use the example below to answer the question that follows. Why? ";
  CHECK(mtb_input(plain) == plain.stem);  // only items with a score are rewritten
  MtbItem grace;
  grace.stem = "Use the example below to answer the question that follows.\nWhat is {A} here?";
  grace.abc_score = "K:C\n{A}B2 |]";
  grace.options = {"grace", "trill", "turn", "mordent"};
  // OpenCompass fills "{input}" first and then every "{A}", including those the input brought.
  CHECK(mtb_option_text(grace, 0, {}) ==
        kHint +
            "What is grace here?\nK:C\ngraceB2 |]\nA. grace\nB. trill\nC. turn\n"
            "D. mordent\nAnswer: A");
}

TEST_CASE("mtb: perplexity scoring divides by the token count with BOS, lowest loss first") {
  tb::SampleResult result;
  result.gold = 0;
  // A: 6 / (2 + 1) = 2.0; B: 8.5 / (3 + 1) = 2.125; C: 9 / 3 = 3; D: 4 / 1 = 4.
  // Without the BOS count B (2.833) would beat A (3.0).
  const std::vector<tb::LmResponse> responses = {{-6.0, 2}, {-8.5, 3}, {-9.0, 2}, {-4.0, 0}};
  score_by_mean_nll(result, responses);
  CHECK(result.prediction == 0);
  CHECK(result.values["acc"] == 1.0);
  CHECK(result.values["nll_B"] == doctest::Approx(2.125));
  CHECK(result.option_scores[3] == doctest::Approx(-4.0));
  // Ties: the first lowest loss wins (labels[ppl.index(min(ppl))]).
  tb::SampleResult tie;
  tie.gold = 2;
  score_by_mean_nll(tie, std::vector<tb::LmResponse>{{-4, 2}, {-2, 1}, {-2, 1}, {-9, 2}});
  CHECK(tie.prediction == 1);
  CHECK(tie.values["acc"] == 0.0);
}

TEST_CASE("mtb: option shuffles are fixed permutations and the gold follows its option") {
  MtbItem item;
  item.id = "42";
  item.options = {"w", "x", "y", "z"};
  item.answer = 2;
  std::set<std::array<int, 4>> seen;
  for (int k = 0; k < 5; ++k) {
    const auto perm = shuffle_permutation(item.id, k);
    CHECK(perm == shuffle_permutation(item.id, k));
    auto sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::array<int, 4>{0, 1, 2, 3});
    const MtbItem shuffled = permute_options(item, perm);
    CHECK(shuffled.options[static_cast<size_t>(shuffled.answer)] == "y");
    seen.insert(perm);
  }
  CHECK(seen.size() > 1);
  const MtbItem rotated = permute_options(item, {3, 2, 1, 0});
  CHECK(rotated.options == std::array<std::string, 4>{"z", "y", "x", "w"});
  CHECK(rotated.answer == 1);
}

TEST_CASE("mtb: the suite on the sample data, 5-shot and shuffle aggregation") {
  const auto suite = tb::load_suite("mtb-5shot");
  REQUIRE(suite->docs().size() == 25);
  const tb::Doc& doc = suite->docs()[0];
  CHECK(doc.id == "6");
  CHECK(doc.subset == "knowledge");
  const auto requests = suite->requests(doc);
  REQUIRE(requests.size() == 4);
  CHECK(requests[0].context.empty());
  CHECK(requests[2].continuation.substr(requests[2].continuation.size() - 10) == "\nAnswer: C");
  std::vector<tb::SampleResult> samples;
  for (const tb::Doc& d : suite->docs()) {
    // Option A always has the lowest loss: correct exactly where the gold is A.
    samples.push_back(
        suite->score(d, std::vector<tb::LmResponse>{{-1, 9}, {-2, 9}, {-3, 9}, {-4, 9}}));
  }
  int gold_a = 0;
  for (const auto& s : samples) gold_a += s.gold == 0 ? 1 : 0;
  const auto metrics = suite->aggregate(samples);
  REQUIRE(metrics.size() == 3);
  CHECK(metrics[0].subset == "");
  CHECK(metrics[0].value == doctest::Approx(gold_a / 25.0));
  CHECK(metrics[1].subset == "knowledge");
  CHECK(metrics[1].n == 16);
  CHECK(metrics[2].subset == "reasoning");
  CHECK(metrics[2].n == 9);

  const auto shuffled = tb::load_suite("mtb-shuffle");
  REQUIRE(shuffled->docs().size() == 125);
  CHECK(shuffled->docs()[1].id == "6#p1");
  // Question 6 right in 3 of 5 orders, question 7 right in 2: majority 1 and 0.
  std::vector<tb::SampleResult> fake;
  for (int k = 0; k < 5; ++k) {
    tb::SampleResult a;
    a.doc_id = "6#p" + std::to_string(k);
    a.subset = "knowledge";
    a.values["acc"] = k < 3 ? 1.0 : 0.0;
    tb::SampleResult b = a;
    b.doc_id = "7#p" + std::to_string(k);
    b.values["acc"] = k < 2 ? 1.0 : 0.0;
    fake.push_back(a);
    fake.push_back(b);
  }
  bool found = false;
  for (const auto& metric : shuffled->aggregate(fake)) {
    if (metric.name == "acc" && metric.subset.empty()) CHECK(metric.value == doctest::Approx(0.5));
    if (metric.name == "majority_acc" && metric.subset.empty()) {
      CHECK(metric.value == doctest::Approx(0.5));
      CHECK(metric.n == 2);
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("mtb: bad rows name the file, the row and the field") {
  const std::string good =
      R"({"id": 1, "stem": "Q?", "options": {"A": "a", "B": "b", "C": "c", "D": "d"}, )"
      R"("subject": "knowledge", "answer": "A", "split": "test", "abc_score": null})";
  auto msg = [](const std::string& name, const std::string& text) {
    const auto path = tb::test::write_temp(name, text);
    return tb::test::bad_input_message([&] { load_mtb_items(path); });
  };
  const std::string answer =
      msg("bad_answer.jsonl",
          good + "\n" + replace_all(good, "\"answer\": \"A\"", "\"answer\": \"E\""));
  CHECK(answer.find("bad_answer.jsonl: line 2: answer: must be one of A, B, C, D") !=
        std::string::npos);
  const std::string missing =
      msg("missing_option.json",
          R"([{"id": 3, "stem": "Q?", "options": {"A": "a", "B": "b", "D": "d"}, "subject": "x", )"
          R"("answer": "A", "split": "dev"}])");
  CHECK(missing.find("missing_option.json: item 0: options.C") != std::string::npos);
  const std::string malformed = msg("malformed.jsonl", good + "\n{\"id\": 2,\n");
  CHECK(malformed.find("malformed.jsonl: line 2: malformed JSON") != std::string::npos);
  const std::string no_split =
      msg("items.jsonl", R"({"id": 1, "stem": "Q", "options": {"A": "a", "B": "b", "C": "c", )"
                         R"("D": "d"}, "subject": "knowledge", "answer": "B"})");
  CHECK(no_split.find("items.jsonl: line 1: split") != std::string::npos);
  const std::string duplicate = msg("dup_test.jsonl", good + "\n" + good);
  CHECK(duplicate.find("duplicate id 1") != std::string::npos);
}
