#include "suites/mtb_suite.hpp"

#include <algorithm>
#include <map>

#include "harness/core/error.hpp"
#include "metrics/classification.hpp"
#include "suites/choice_scoring.hpp"
#include "suites/mtb_prompts.hpp"

namespace tb::suites {

namespace {

class MtbSuite : public Suite {
 public:
  explicit MtbSuite(const SuiteSpec& spec) : spec_(spec) {
    if (!spec.template_name.empty() && spec.template_name != "opencompass-ppl") {
      throw bad_input(spec.source, "template", "mtb supports only \"opencompass-ppl\"");
    }
    const std::vector<MtbItem> all = load_mtb_items(spec.data);
    for (const MtbItem& item : all) {
      if (item.split == "dev") dev_.push_back(item);
      if (item.split == spec.split) items_.push_back(item);
    }
    if (static_cast<int>(dev_.size()) < spec.shots) {
      throw bad_input(spec.data.string(), "split",
                      std::to_string(spec.shots) + "-shot needs " + std::to_string(spec.shots) +
                          " dev items, found " + std::to_string(dev_.size()));
    }
    dev_.resize(static_cast<size_t>(spec.shots));
    if (items_.empty()) {
      throw bad_input(spec.data.string(), "split", "no items in split \"" + spec.split + "\"");
    }
    const int rounds = spec.permutations;
    for (size_t i = 0; i < items_.size(); ++i) {
      const MtbItem& item = items_[i];
      if (std::find(subsets_.begin(), subsets_.end(), item.subject) == subsets_.end()) {
        subsets_.push_back(item.subject);
      }
      for (int k = 0; k < std::max(rounds, 1); ++k) {
        Doc doc;
        doc.id = rounds > 0 ? item.id + "#p" + std::to_string(k) : item.id;
        doc.subset = item.subject;
        doc.data = {{"index", i}, {"round", rounds > 0 ? k : -1}};
        docs_.push_back(std::move(doc));
      }
    }
  }

  std::string name() const override { return spec_.name; }
  std::string version() const override { return spec_.version; }
  nlohmann::json options() const override {
    nlohmann::json out = spec_.raw;
    out["data"] = spec_.data.string();
    out["num_questions"] = items_.size();
    return out;
  }
  const std::vector<Doc>& docs() const override { return docs_; }

  std::vector<LmRequest> requests(const Doc& doc) const override {
    const MtbItem item = item_of(doc);
    std::vector<LmRequest> out;
    for (int label = 0; label < 4; ++label) {
      out.push_back({LmRequest::Type::Loglikelihood, "", mtb_option_text(item, label, dev_)});
    }
    return out;
  }

  SampleResult score(const Doc& doc, std::span<const LmResponse> responses) const override {
    check_response_count(spec_.name, doc, responses, 4);
    const MtbItem item = item_of(doc);
    SampleResult result;
    result.doc_id = doc.id;
    result.subset = doc.subset;
    result.prompt = mtb_option_text(item, 0, dev_);
    result.gold = item.answer;
    result.target = kLetters[item.answer];
    score_by_mean_nll(result, responses);
    return result;
  }

  std::vector<MetricValue> aggregate(std::span<const SampleResult> samples) const override {
    std::vector<MetricValue> out = accuracy_by_subset(samples, subsets_);
    if (spec_.permutations > 0) add_majority(samples, out);
    return out;
  }

 private:
  MtbItem item_of(const Doc& doc) const {
    const auto index = doc.data.at("index").get<size_t>();
    const int round = doc.data.at("round").get<int>();
    if (index >= items_.size()) {
      throw Error(ErrorKind::Internal, spec_.name + ": document " + doc.id + " is not mine");
    }
    const MtbItem& item = items_[index];
    return round < 0 ? item : permute_options(item, shuffle_permutation(item.id, round));
  }

  void add_majority(std::span<const SampleResult> samples, std::vector<MetricValue>& out) const {
    struct Tally {
      std::string subset;
      int correct = 0;
      int total = 0;
    };
    std::map<std::string, Tally> per_question;
    for (const SampleResult& s : samples) {
      const std::string question = s.doc_id.substr(0, s.doc_id.rfind("#p"));
      Tally& t = per_question[question];
      t.subset = s.subset;
      const auto acc = s.values.find("acc");
      t.correct += acc != s.values.end() && acc->second > 0.5 ? 1 : 0;
      ++t.total;
    }
    std::vector<SampleResult> questions;
    for (const auto& [id, t] : per_question) {
      SampleResult q;
      q.doc_id = id;
      q.subset = t.subset;
      q.values["majority_acc"] = 2 * t.correct > t.total ? 1.0 : 0.0;
      questions.push_back(std::move(q));
    }
    for (MetricValue& m : accuracy_by_subset(questions, subsets_, "majority_acc")) {
      out.push_back(std::move(m));
    }
  }

  SuiteSpec spec_;
  std::vector<MtbItem> items_;
  std::vector<MtbItem> dev_;
  std::vector<std::string> subsets_;
  std::vector<Doc> docs_;
};

}  // namespace

std::unique_ptr<Suite> make_mtb_suite(const SuiteSpec& spec) {
  return std::make_unique<MtbSuite>(spec);
}

}  // namespace tb::suites
