#include "suites/mmlu_suite.hpp"

#include <algorithm>
#include <map>

#include "harness/core/error.hpp"
#include "metrics/classification.hpp"
#include "suites/choice_scoring.hpp"
#include "suites/metric_registry.hpp"
#include "suites/mmlu_categories.hpp"
#include "suites/mmlu_items.hpp"
#include "suites/mmlu_prompts.hpp"

namespace tb::suites {

namespace {

class MmluSuite : public Suite {
 public:
  explicit MmluSuite(const SuiteSpec& spec) : spec_(spec) {
    if (spec.template_name.empty() || spec.template_name == "lm-eval") {
      opencompass_ = false;
    } else if (spec.template_name == "opencompass") {
      opencompass_ = true;
    } else {
      throw bad_input(spec.source, "template", "mmlu supports \"lm-eval\" or \"opencompass\"");
    }
    std::map<std::string, std::vector<MmluItem>> dev;
    for (MmluItem& item : load_mmlu_items(spec.data)) {
      if (item.split == "dev") dev[item.subject].push_back(item);
      if (item.split == spec.split) items_.push_back(std::move(item));
    }
    if (items_.empty()) {
      throw bad_input(spec.data.string(), "split", "no items in split \"" + spec.split + "\"");
    }
    for (const MmluItem& item : items_) {
      if (shots_.count(item.subject)) continue;
      std::vector<MmluItem>& pool = dev[item.subject];
      if (static_cast<int>(pool.size()) < spec.shots) {
        throw bad_input(spec.data.string(), item.subject,
                        std::to_string(spec.shots) + "-shot needs " + std::to_string(spec.shots) +
                            " dev rows, found " + std::to_string(pool.size()));
      }
      pool.resize(static_cast<size_t>(spec.shots));
      shots_[item.subject] = pool;
      subjects_.push_back(item.subject);
    }
    for (size_t i = 0; i < items_.size(); ++i) {
      const MmluItem& item = items_[i];
      docs_.push_back({item.subject + "/" + item.split + "/" + std::to_string(item.row),
                       item.subject, nlohmann::json{{"index", i}}});
    }
  }

  std::string name() const override { return spec_.name; }
  std::string version() const override { return spec_.version; }
  nlohmann::json options() const override {
    nlohmann::json out = spec_.raw;
    out["data"] = spec_.data.string();
    out["num_questions"] = items_.size();
    out["num_subjects"] = subjects_.size();
    return out;
  }
  const std::vector<Doc>& docs() const override { return docs_; }

  std::vector<LmRequest> requests(const Doc& doc) const override {
    const MmluItem& item = item_of(doc);
    const std::vector<MmluItem>& shots = shots_.at(item.subject);
    std::vector<LmRequest> out;
    if (opencompass_) {
      for (int label = 0; label < 4; ++label) {
        out.push_back(
            {LmRequest::Type::Loglikelihood, "", mmlu_opencompass_text(item, label, shots)});
      }
    } else {
      const std::string context = mmlu_lmeval_context(item, shots);
      for (const char* letter : kLetters) {
        out.push_back({LmRequest::Type::Loglikelihood, context, std::string(" ") + letter});
      }
    }
    return out;
  }

  SampleResult score(const Doc& doc, std::span<const LmResponse> responses) const override {
    check_response_count(spec_.name, doc, responses, 4);
    const MmluItem& item = item_of(doc);
    const std::vector<MmluItem>& shots = shots_.at(item.subject);
    SampleResult result;
    result.doc_id = doc.id;
    result.subset = doc.subset;
    result.gold = item.answer;
    if (opencompass_) {
      result.prompt = mmlu_opencompass_text(item, 0, shots);
      result.target = kLetters[item.answer];
      score_by_mean_nll(result, responses);
    } else {
      result.prompt = mmlu_lmeval_context(item, shots);
      result.target = std::string(" ") + kLetters[item.answer];
      score_by_loglikelihood(result, responses);
    }
    return result;
  }

  std::vector<MetricValue> aggregate(std::span<const SampleResult> samples) const override {
    // Per subject, in first-seen order of the samples (subjects of this suite first).
    std::map<std::string, std::vector<double>> by_subject;
    std::vector<std::string> order = subjects_;
    for (const SampleResult& s : samples) {
      const auto acc = s.values.find("acc");
      if (acc == s.values.end()) continue;
      if (!by_subject.count(s.subset) &&
          std::find(order.begin(), order.end(), s.subset) == order.end()) {
        order.push_back(s.subset);
      }
      by_subject[s.subset].push_back(acc->second);
    }
    std::vector<MetricValue> out;
    std::vector<metrics::SubsetMean> subject_means;
    std::map<std::string, std::vector<metrics::SubsetMean>> by_category;
    std::vector<metrics::SubsetMean> uncategorized;
    for (const std::string& subject : order) {
      const auto it = by_subject.find(subject);
      if (it == by_subject.end()) continue;
      const metrics::SubsetMean m = metrics::summarize(it->second);
      out.push_back({"acc", subject, m.value, m.standard_error, m.n, higher_is_better("acc")});
      subject_means.push_back(m);
      const std::string category = mmlu_category(subject);
      (category.empty() ? uncategorized : by_category[category]).push_back(m);
    }
    if (subject_means.empty()) return out;
    std::vector<metrics::SubsetMean> groups = uncategorized;
    for (const char* category : mmlu_categories()) {
      const auto it = by_category.find(category);
      if (it == by_category.end()) continue;
      const metrics::SubsetMean m = metrics::micro_average(it->second);
      out.push_back({"acc", category, m.value, m.standard_error, m.n, higher_is_better("acc")});
      groups.push_back(m);
    }
    const metrics::SubsetMean micro = metrics::micro_average(groups);
    const metrics::SubsetMean macro = metrics::macro_average(subject_means);
    out.insert(out.begin(), {"acc_macro", "", macro.value, macro.standard_error, macro.n,
                             higher_is_better("acc_macro")});
    out.insert(out.begin(),
               {"acc", "", micro.value, micro.standard_error, micro.n, higher_is_better("acc")});
    return out;
  }

 private:
  const MmluItem& item_of(const Doc& doc) const {
    const auto index = doc.data.at("index").get<size_t>();
    if (index >= items_.size()) {
      throw Error(ErrorKind::Internal, spec_.name + ": document " + doc.id + " is not mine");
    }
    return items_[index];
  }

  SuiteSpec spec_;
  bool opencompass_ = false;
  std::vector<MmluItem> items_;
  std::map<std::string, std::vector<MmluItem>> shots_;
  std::vector<std::string> subjects_;
  std::vector<Doc> docs_;
};

}  // namespace

std::unique_ptr<Suite> make_mmlu_suite(const SuiteSpec& spec) {
  return std::make_unique<MmluSuite>(spec);
}

}  // namespace tb::suites
