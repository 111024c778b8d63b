#include <doctest/doctest.h>

#include <map>
#include <set>

#include "harness/core/limits.hpp"
#include "suites/choice_scoring.hpp"
#include "suites/mmlu_categories.hpp"
#include "suites/mmlu_items.hpp"
#include "suites/mmlu_prompts.hpp"
#include "suites/registry.hpp"
#include "tests/unit/suites/test_helpers.hpp"

using namespace tb::suites;

namespace {

// Items of the real release, keyed "subject/split/row".
const std::map<std::string, MmluItem>& real_items() {
  static const std::map<std::string, MmluItem> items = [] {
    std::map<std::string, MmluItem> out;
    for (MmluItem& item : load_mmlu_items(tb::test::shared_data() / "mmlu")) {
      out[item.subject + "/" + item.split + "/" + std::to_string(item.row)] = std::move(item);
    }
    return out;
  }();
  return items;
}

std::vector<MmluItem> real_dev(const std::string& subject) {
  std::vector<MmluItem> dev;
  for (int i = 0; i < 5; ++i) dev.push_back(real_items().at(subject + "/dev/" + std::to_string(i)));
  return dev;
}

}  // namespace

TEST_CASE("mmlu: zero-shot prompts of three real questions, both templates, by hand" *
          doctest::skip(!tb::test::have_shared())) {
  const MmluItem& algebra = real_items().at("abstract_algebra/test/0");
  CHECK(mmlu_lmeval_context(algebra, {}) ==
        "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
        "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
        "A. 0\nB. 4\nC. 2\nD. 6\nAnswer:");
  CHECK(algebra.answer == 1);

  // Leading space: lm-eval strips the question, OpenCompass does not.
  const MmluItem& murtis = real_items().at("world_religions/test/0");
  CHECK(mmlu_lmeval_context(murtis, {}) ==
        "The following are multiple choice questions (with answers) about world religions.\n\n"
        "What can murtis be translated as?\nA. Offerings\nB. Prayers\nC. Apparitions\n"
        "D. Idols\nAnswer:");
  CHECK(mmlu_opencompass_text(murtis, 3, {}) ==
        "The following are multiple choice questions (with answers) about  world religions.\n\n"
        "\n What can murtis be translated as?\nA. Offerings\nB. Prayers\nC. Apparitions\n"
        "D. Idols\nAnswer: D");

  // Quoted field with line breaks and non-ASCII symbols.
  const MmluItem& logic = real_items().at("formal_logic/test/3");
  CHECK(mmlu_lmeval_question(logic) ==
        "Construct a complete truth table for the following argument. Then, using the truth "
        "table, determine whether the argument is valid or invalid. If the argument is invalid, "
        "choose an option which presents a counterexample. (There may be other counterexamples "
        "as well.)\n~G \xE2\x8A\x83 H\n~H / G\n"
        "A. Valid\nB. Invalid. Counterexample when G and H are true\n"
        "C. Invalid. Counterexample when G is true and H is false\n"
        "D. Invalid. Counterexample when H is true and G is false\nAnswer:");
}

TEST_CASE("mmlu: five-shot world_religions prompts from the real dev file, by hand" *
          doctest::skip(!tb::test::have_shared())) {
  const MmluItem& murtis = real_items().at("world_religions/test/0");
  const std::vector<MmluItem> dev = real_dev("world_religions");
  CHECK(mmlu_lmeval_context(murtis, dev) ==
        "The following are multiple choice questions (with answers) about world religions.\n\n"
        "What is the sign of the covenant for Jewish males?\nA. The rainbow\nB. Circumcision\n"
        "C. A son\nD. Bar mitzvah\nAnswer: B\n\n"
        "What is the Second Gem in Buddhism?\nA. The Dharma\nB. The Sangha\nC. The Buddha\n"
        "D. The Bodhisattva\nAnswer: A\n\n"
        "In which dynasty was the \"Mandate of Heaven\" developed to legitimatize the new "
        "rulers?\nA. Shang\nB. Zhou\nC. Han\nD. Xia\nAnswer: B\n\n"
        "Which Japanese government promoted a kind of national cult based on the emperor and "
        "his associations with kami?\nA. Honen\nB. Tanaka\nC. Tokugawa\nD. Meiji\nAnswer: D\n\n"
        "How can the Upanishads be characterized?\nA. Ritual texts\nB. Philosophical texts\n"
        "C. Hymns\nD. Origin stories\nAnswer: B\n\n"
        "What can murtis be translated as?\nA. Offerings\nB. Prayers\nC. Apparitions\n"
        "D. Idols\nAnswer:");
  CHECK(mmlu_opencompass_text(murtis, 0, dev) ==
        "The following are multiple choice questions (with answers) about  world religions.\n\n"
        " What is the sign of the covenant for Jewish males?\nA. The rainbow\nB. Circumcision\n"
        "C. A son\nD. Bar mitzvah\nAnswer: B\n\n"
        "What is the Second Gem in Buddhism?\nA. The Dharma\nB. The Sangha\nC. The Buddha\n"
        "D. The Bodhisattva\nAnswer: A\n\n"
        " In which dynasty was the \"Mandate of Heaven\" developed to legitimatize the new "
        "rulers?\nA. Shang\nB. Zhou\nC. Han\nD. Xia\nAnswer: B\n\n"
        " Which Japanese government promoted a kind of national cult based on the emperor and "
        "his associations with kami?\nA. Honen\nB. Tanaka\nC. Tokugawa\nD. Meiji\nAnswer: D\n\n"
        "How can the Upanishads be characterized?\nA. Ritual texts\nB. Philosophical texts\n"
        "C. Hymns\nD. Origin stories\nAnswer: B\n\n"
        " What can murtis be translated as?\nA. Offerings\nB. Prayers\nC. Apparitions\n"
        "D. Idols\nAnswer: A");
}

TEST_CASE("mmlu: the 57-subject category table") {
  CHECK(mmlu_subjects().size() == 57);
  std::map<std::string, int> per_category;
  std::set<std::string> names;
  for (const auto& s : mmlu_subjects()) {
    ++per_category[s.category];
    names.insert(s.name);
  }
  CHECK(names.size() == 57);
  CHECK(per_category["stem"] == 19);
  CHECK(per_category["humanities"] == 13);
  CHECK(per_category["social_sciences"] == 12);
  CHECK(per_category["other"] == 13);
  CHECK(mmlu_category("anatomy") == "stem");  // lm-eval's grouping
  CHECK(mmlu_category("high_school_music_theory").empty());
  if (tb::test::have_shared()) {
    std::set<std::string> real;
    for (const auto& [key, item] : real_items()) real.insert(item.subject);
    CHECK(real == names);
  }
}

TEST_CASE("mmlu: lm-eval scoring is the first argmax of the summed log-probs") {
  tb::SampleResult result;
  result.gold = 1;
  score_by_loglikelihood(result,
                         std::vector<tb::LmResponse>{{-2.0, 1}, {-1.5, 1}, {-1.5, 1}, {-3.0, 1}});
  CHECK(result.prediction == 1);
  CHECK(result.values["acc"] == 1.0);
}

TEST_CASE("mmlu: suites on the sample data; requests, micro and macro aggregation") {
  const auto suite = tb::load_suite("mmlu");
  REQUIRE(suite->docs().size() == 15);
  const tb::Doc& doc = suite->docs()[0];
  CHECK(doc.id == "elementary_mathematics/test/0");
  const auto requests = suite->requests(doc);
  REQUIRE(requests.size() == 4);
  CHECK(requests[1].continuation == " B");
  CHECK(requests[0].context ==
        "The following are multiple choice questions (with answers) about elementary "
        "mathematics.\n\n"
        "What is 7 x 8?\nA. 54\nB. 56\nC. 63\nD. 64\nAnswer: B\n\n"
        "What is 3/4 written as a decimal?\nA. 0.34\nB. 0.43\nC. 0.75\nD. 0.8\nAnswer: C\n\n"
        "Which of these numbers is prime?\nA. 21\nB. 27\nC. 29\nD. 33\nAnswer: C\n\n"
        "What is the perimeter of a square whose sides are 6 cm long?\nA. 12 cm\nB. 24 cm\n"
        "C. 36 cm\nD. 30 cm\nAnswer: B\n\n"
        "Round 4,682 to the nearest hundred.\nA. 4,600\nB. 4,700\nC. 4,680\nD. 5,000\n"
        "Answer: B\n\n"
        "What is 15% of 200?\nA. 15\nB. 20\nC. 30\nD. 35\nAnswer:");
  const auto oc = tb::load_suite("mmlu-opencompass");
  const auto oc_requests = oc->requests(oc->docs()[0]);
  CHECK(oc_requests[2].context.empty());
  const std::string& text = oc_requests[2].continuation;
  CHECK(text.find("Answer: B\n\nWhat is 15% of 200?\nA. 15\nB. 20\nC. 30\nD. 35\nAnswer: C") !=
        std::string::npos);
  CHECK(text.rfind("The following are multiple choice questions (with answers) about  elementary "
                   "mathematics.\n\nWhat is 7 x 8?\n",
                   0) == 0);
  CHECK(suite->docs().back().id == "world_religions/test/4");

  // Hand-made samples: elementary_mathematics (stem) 3 of 4, world_religions (humanities) 0 of 2.
  std::vector<tb::SampleResult> samples;
  auto add = [&](const std::string& subject, double acc) {
    tb::SampleResult s;
    s.doc_id = subject + "/" + std::to_string(samples.size());
    s.subset = subject;
    s.values["acc"] = acc;
    samples.push_back(s);
  };
  for (double a : {1.0, 0.0, 1.0, 1.0}) add("elementary_mathematics", a);
  for (double a : {0.0, 0.0}) add("world_religions", a);
  std::map<std::string, tb::MetricValue> by_key;
  for (const auto& m : suite->aggregate(samples)) by_key[m.name + "|" + m.subset] = m;
  CHECK(by_key.at("acc|").value == doctest::Approx(0.5));
  CHECK(by_key.at("acc|").n == 6);
  CHECK(by_key.at("acc_macro|").value == doctest::Approx(0.375));
  CHECK(by_key.at("acc|stem").value == doctest::Approx(0.75));
  CHECK(by_key.at("acc|stem").standard_error == doctest::Approx(0.25));
  CHECK(by_key.at("acc|humanities").value == doctest::Approx(0.0));
  CHECK(by_key.at("acc|elementary_mathematics").n == 4);
  CHECK(by_key.count("acc|social_sciences") == 0);
}

TEST_CASE("mmlu: bad files name the file, the line and the field") {
  const auto dir = tb::test::binary_dir() / "test_suites_tmp" / "mmlu_bad";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  tb::test::write_temp("mmlu_bad/anatomy_test.csv", "Q1,a,b,c,d,A\nQ2,a,b,c,d,F\n");
  const std::string answer = tb::test::bad_input_message([&] { load_mmlu_items(dir); });
  CHECK(answer.find("anatomy_test.csv: line 2: answer: must be one of A, B, C, D") !=
        std::string::npos);
  std::filesystem::remove(dir / "anatomy_test.csv");
  tb::test::write_temp("mmlu_bad/anatomy_test.csv", "Q1,a,b,c,d,A\n\"Q2, long\",a,b,c,D\n");
  const std::string fields = tb::test::bad_input_message([&] { load_mmlu_items(dir); });
  CHECK(fields.find("anatomy_test.csv: line 2: expected 6 fields") != std::string::npos);
  const auto jsonl = tb::test::write_temp(
      "mmlu_test.jsonl", R"({"question": "Q", "choices": ["a", "b", "c"], "answer": 0, )"
                         R"("subject": "anatomy"})");
  const std::string choices = tb::test::bad_input_message([&] { load_mmlu_items(jsonl); });
  CHECK(choices.find("mmlu_test.jsonl: line 1: choices") != std::string::npos);
  const auto good = tb::test::write_temp(
      "mmlu_dev.jsonl", R"({"question": "Q", "choices": ["a", "b", "c", "d"], "answer": 2, )"
                        R"("subject": "anatomy"})"
                        "\n"
                        R"({"question": "R", "choices": ["a", "b", "c", "d"], "answer": "D", )"
                        R"("subject": "anatomy", "split": "test"})");
  const auto items = load_mmlu_items(good);
  REQUIRE(items.size() == 2);
  CHECK(items[0].split == "dev");
  CHECK(items[0].answer == 2);
  CHECK(items[1].split == "test");
  CHECK(items[1].answer == 3);
}

// Issue 31: a 50 MB question took 29 CPU s and 2.5 GB to tokenize and score; a field over
// limits::kSuiteFieldBytes is refused as the file is read, naming it.
TEST_CASE("mmlu: a question or option over the field limit is refused by name") {
  const std::string big(tb::limits::kSuiteFieldBytes + 1, 'x');
  const auto csv =
      tb::test::write_temp("big_test.csv", "Q1,a,b,c,d,A\n\"" + big + "\",a,b,c,d,B\n");
  const std::string question = tb::test::bad_input_message([&] { load_mmlu_items(csv); });
  CHECK(question.find("big_test.csv: line 2: question: 1048577 bytes, over the limit") !=
        std::string::npos);
  const auto jsonl = tb::test::write_temp("big_mmlu_test.jsonl",
                                          R"({"question": "Q", "choices": ["a", "b", ")" + big +
                                              R"(", "d"], "answer": 0, )"
                                              R"("subject": "anatomy"})");
  const std::string option = tb::test::bad_input_message([&] { load_mmlu_items(jsonl); });
  CHECK(option.find("big_mmlu_test.jsonl: line 1: option C: 1048577 bytes") != std::string::npos);
  // At the limit it is read.
  const auto edge = tb::test::write_temp(
      "edge_test.csv", std::string(tb::limits::kSuiteFieldBytes, 'q') + ",a,b,c,d,A\n");
  CHECK(load_mmlu_items(edge).size() == 1);
}
