// The leaderboard report over a store of 3 checkpoints x 3 suites (perturbed copies of the
// bundled tiny-abc-llama at steps 1000, 2000, 3000, evaluated by one sweep) plus a generation
// run: the HTML holds the leaderboard with 3 rows, one curve per metric, the validity panel and,
// where abcm2ps is installed, engraved scores; the Markdown and CSV carry the same leaderboard
// numbers as the HTML. The page is left in BUILD/report/ for test_report_chromium.sh, which
// opens it in headless Chromium.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/sqlite_db.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

fs::path work_dir() {
  return test::binary_dir() / "report";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

void perturb(const fs::path& dst, double scale, int seed) {
  const std::string command = std::string(TB_PERTURB_BIN) + " '" +
                              (test::source_dir() / "data/models/tiny-abc-llama").string() + "' '" +
                              dst.string() + "' " + std::to_string(scale) + " " +
                              std::to_string(seed);
  REQUIRE(std::system(command.c_str()) == 0);
}

test::Outcome tunebench(const std::string& args) {
  const test::Outcome o = test::run_tunebench(args);
  INFO("tunebench " << args << "\nstdout: " << o.out << "\nstderr: " << o.err);
  REQUIRE(o.exit_code == 0);
  return o;
}

}  // namespace

TEST_CASE("report: leaderboard, curves, subsets, generation and runs from one store") {
  const fs::path dir = work_dir();
  fs::remove_all(dir);
  fs::create_directories(dir / "train");
  // Noise shrinking with the step, as a training run's checkpoints improve.
  perturb(dir / "train/checkpoint-1000", 0.6, 1);
  perturb(dir / "train/checkpoint-2000", 0.3, 2);
  perturb(dir / "train/checkpoint-3000", 0.05, 3);
  const std::string db = (dir / "store.sqlite").string();
  tunebench("sweep " + (dir / "train").string() + " --suite mtb,mmlu,abc-ppl --limit 6 " +
            "--threads 2 --db " + db);
  tunebench("eval --model " + (dir / "train/checkpoint-3000").string() +
            " --suite abc-gen-quick --limit 4 --threads 2 --db " + db);

  for (const char* ext : {"html", "md", "csv", "json"}) {
    const auto o = tunebench("report --db " + db + " -o " + (dir / "report.").string() + ext);
    CHECK(o.out.find("3 models, 4 suites") != std::string::npos);
  }
  const std::string html = read_text(dir / "report.html");
  const std::string md = read_text(dir / "report.md");
  const std::string csv = read_text(dir / "report.csv");
  const auto json = nlohmann::json::parse(read_text(dir / "report.json"));

  // The leaderboard: one row per checkpoint, best (lowest mean rank) first; on perplexity the
  // least perturbed checkpoint leads (on 6 questions the accuracies are noise).
  CHECK(count(html, "<tr class=\"model-row\">") == 3);
  REQUIRE(json["leaderboard"].size() == 3);
  for (size_t r = 1; r < 3; ++r)
    CHECK(json["leaderboard"][r - 1]["mean_rank"] <= json["leaderboard"][r]["mean_rank"]);
  for (const auto& row : json["leaderboard"]) {
    const bool least = row["model"].get<std::string>().ends_with("checkpoint-3000");
    CHECK(row["cells"]["abc-ppl"]["leader"].get<bool>() == least);
  }
  // One curve per (suite, metric) of the swept suites, each with the three steps; the
  // generation suite, run at one step only, has none.
  size_t curves = 0;
  for (const auto& c : json["curves"]) {
    ++curves;
    CHECK(c["suite"] != "abc-gen-quick");
    for (const auto& [name, points] : c["series"].items()) CHECK(points.size() == 3);
    CHECK(html.find("data-suite=\"" + c["suite"].get<std::string>() + "\" data-metric=\"" +
                    c["metric"].get<std::string>() + "\"") != std::string::npos);
  }
  CHECK(curves >= 3);
  CHECK(count(html, "<figure class=\"curve\"") == curves);
  // The generation run's panel and its pieces.
  CHECK(html.find("<figure class=\"validity\"><svg") != std::string::npos);
  CHECK(html.find("ABC validity levels") != std::string::npos);
  CHECK(html.find("<div class=\"piece\">") != std::string::npos);
  if (html.find("abcm2ps is not installed") == std::string::npos) {
    CHECK(html.find("<div class=\"score\"><svg") != std::string::npos);
  }
  // A piece shows its prompt and its completion apart, and the prompt once: the stored response
  // is the completion alone (it used to repeat the prompt, so every tune began "X:1\nX:1").
  CHECK(html.find("<span class=\"prompt\" title=\"prompt\">X:1\n</span><span "
                  "class=\"completion\"") != std::string::npos);
  CHECK(html.find("X:1\nX:1") == std::string::npos);
  for (const auto& entry : fs::directory_iterator(dir / "report_files")) {
    if (entry.path().extension() != ".abc") continue;
    const std::string abc = read_text(entry.path());
    CAPTURE(entry.path());
    CHECK(abc.starts_with("X:1\n"));
    CHECK_FALSE(abc.starts_with("X:1\nX:1"));
  }
  {
    tb::sqlite::Database store = tb::sqlite::Database::open_read_only(db);
    auto rows = store.prepare(
        "SELECT s.prompt, s.response FROM samples s JOIN runs r ON r.id = s.run_id "
        "WHERE r.suite = 'abc-gen-quick'");
    int generated = 0;
    while (rows.step()) {
      ++generated;
      CHECK_FALSE(rows.text(1).starts_with(rows.text(0)));
    }
    CHECK(generated == 4);
  }
  // The hardest questions: the question asked (its last block), not the few-shot examples and
  // header in front of it, with the gold answer and the prediction.
  CHECK(html.find("<th>gold</th><th>predicted</th>") != std::string::npos);
  const size_t hardest = html.find("<table class=\"hardest\">");
  REQUIRE(hardest != std::string::npos);
  const std::string first_question = html.substr(
      html.find("<pre>", hardest), html.find("</pre>", hardest) - html.find("<pre>", hardest));
  CHECK(first_question.find("The following are multiple choice questions") == std::string::npos);
  CHECK(first_question.find("\n\n") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);               // readable without JavaScript
  CHECK(html.find("http://") == html.find("http://www.w3.org"));  // no network resources
  CHECK(html.find("https://") == std::string::npos);

  // The same leaderboard numbers in every format: HTML data-value, CSV value, JSON, Markdown.
  std::map<std::pair<std::string, std::string>, std::string> from_csv;
  std::istringstream lines(csv);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("leaderboard,")) continue;
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) f.push_back(field);
    REQUIRE(f.size() >= 6);
    from_csv[{f[1], f[3]}] = f[5];
  }
  size_t cells = 0;
  for (const auto& row : json["leaderboard"]) {
    for (const auto& [suite, cell] : row["cells"].items()) {
      ++cells;
      const std::string value = cell["value_text"];
      CAPTURE(suite);
      CHECK(from_csv[{row["model"].get<std::string>(), suite}] == value);
      CHECK(html.find("data-suite=\"" + suite + "\" data-value=\"" + value + "\"") !=
            std::string::npos);
      CHECK(md.find(" " + value) != std::string::npos);
    }
  }
  CHECK(cells == 3 * 3 + 1);
  CHECK(from_csv.size() == cells);
}

TEST_CASE("report: MIDI-token pieces as piano rolls, their validity checks as rates") {
  const fs::path dir = work_dir() / "mmm";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "mmm.sqlite").string();
  tunebench("eval --model " + (test::source_dir() / "data/models/tiny-mmm-gpt2").string() +
            " --suite mmm-gen-quick --limit 2 --threads 2 --db " + db);
  tunebench("report --db " + db + " -o " + (dir / "mmm.html").string());
  const std::string html = read_text(dir / "mmm.html");
  CHECK(count(html, "<div class=\"roll\"><svg") == 2);
  CHECK(html.find("MIDI-token validity checks") != std::string::npos);
  CHECK(html.find("<rect class=\"note\"") != std::string::npos);  // notes drawn in the roll
}

TEST_CASE("report: a bad output extension or store is exit 2, and nothing half-written") {
  const fs::path dir = work_dir() / "bad";
  fs::create_directories(dir);
  auto o = test::run_tunebench("report --db " + (test::source_dir() / "README.md").string() +
                               " -o " + (dir / "x.html").string());
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("README.md") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "x.html"));
  o = test::run_tunebench("report --db " + (work_dir() / "store.sqlite").string() + " -o " +
                          (dir / "x.pdf").string());
  CHECK(o.exit_code == 2);
  CHECK(o.err.find(".html, .md, .csv or .json") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "x.pdf"));
}
