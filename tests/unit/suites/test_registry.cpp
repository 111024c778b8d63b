#include <doctest/doctest.h>

#include "harness/core/error.hpp"
#include "suites/registry.hpp"
#include "tests/unit/suites/test_helpers.hpp"

TEST_CASE("registry: kinds, built-in specs and their versions") {
  CHECK(tb::suite_kinds() ==
        std::vector<std::string>{"mtb", "mmlu", "abc-ppl", "abc-gen", "mmm-gen", "pvdt-gen"});
  const auto names = tb::builtin_suite_names();
  for (const char* name :
       {"abc-ppl", "mmlu", "mmlu-0shot", "mmlu-opencompass", "mtb", "mtb-5shot", "mtb-shuffle"}) {
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
    const auto suite = tb::load_suite(name);
    CHECK(suite->name() == name);
    CHECK_FALSE(suite->version().empty());
    CHECK(suite->options().at("data").get<std::string>().find("data/suites") != std::string::npos);
  }
}

TEST_CASE("registry: unknown names and bad specs are BadInput naming the file and field") {
  const std::string unknown = tb::test::bad_input_message([] { tb::load_suite("nope"); });
  CHECK(unknown.find("unknown suite \"nope\"") != std::string::npos);
  const auto bad_kind = tb::test::write_temp(
      "bad_kind.json", R"({"name": "x", "kind": "hellaswag", "version": "1", "data": "d"})");
  const std::string kind = tb::test::bad_input_message([&] { tb::load_suite(bad_kind.string()); });
  CHECK(kind.find("bad_kind.json: kind: unknown suite kind \"hellaswag\"") != std::string::npos);
  const auto no_version =
      tb::test::write_temp("no_version.json", R"({"name": "x", "kind": "mtb", "data": "d"})");
  const std::string version =
      tb::test::bad_input_message([&] { tb::load_suite(no_version.string()); });
  CHECK(version.find("no_version.json: version: missing") != std::string::npos);
  const auto broken = tb::test::write_temp("broken.json", "{\"name\": ");
  const std::string json = tb::test::bad_input_message([&] { tb::load_suite(broken.string()); });
  CHECK(json.find("broken.json: malformed JSON") != std::string::npos);
}

TEST_CASE("registry: a misspelt spec key is refused, naming it and the nearest valid key") {
  const auto typo = tb::test::write_temp(
      "typo.json", R"({"name": "g", "kind": "abc-gen", "version": "v", "data": "unused",
                       "temprature": 0.5})");
  const std::string message = tb::test::bad_input_message([&] { tb::load_suite(typo.string()); });
  CHECK(message.find("typo.json: temprature: unknown key for a abc-gen suite (did you mean "
                     "\"temperature\"?") != std::string::npos);
  // A key of another kind is as unknown: mmlu has no option-shuffle rounds.
  const auto other = tb::test::write_temp(
      "other.json",
      R"({"name": "m", "kind": "mmlu", "version": "v", "data": "d", "permutations": 2})");
  CHECK(tb::test::bad_input_message([&] {
          tb::load_suite(other.string());
        }).find("other.json: permutations: unknown key for a mmlu suite") != std::string::npos);
  // Every built-in spec uses known keys only (some need ../shared's data to load at all).
  for (const std::string& name : tb::builtin_suite_names()) {
    CAPTURE(name);
    try {
      tb::load_suite(name);
    } catch (const tb::Error& e) {
      CHECK(std::string(e.what()).find("unknown key") == std::string::npos);
    }
  }
}

TEST_CASE("registry: the data override replaces the spec's data" *
          doctest::skip(!tb::test::have_shared())) {
  const auto mmlu = tb::load_suite("mmlu-0shot", (tb::test::shared_data() / "mmlu").string());
  CHECK(mmlu->docs().size() == 14042);
  CHECK(mmlu->options().at("num_subjects") == 57);
  // Both rows are dev rows: there is no test split to evaluate.
  const std::string none = tb::test::bad_input_message([&] {
    tb::load_suite(
        "mtb", (tb::test::shared_data() / "musictheorybench/hf_viewer_dev_examples.json").string());
  });
  CHECK(none.find("no items in split \"test\"") != std::string::npos);
}
