#include "suites/abc_ppl_suite.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numbers>

#include "harness/core/error.hpp"
#include "harness/core/text_file.hpp"
#include "suites/metric_registry.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string finish_tune(std::string tune) {
  while (!tune.empty() && (tune.back() == '\n' || tune.back() == '\r' || tune.back() == ' ' ||
                           tune.back() == '\t')) {
    tune.pop_back();
  }
  return tune.empty() ? tune : tune + "\n";
}

class AbcPplSuite : public Suite {
 public:
  explicit AbcPplSuite(const SuiteSpec& spec) : spec_(spec) {
    std::vector<fs::path> files;
    if (fs::is_directory(spec.data)) {
      for (const auto& entry : fs::recursive_directory_iterator(spec.data)) {
        if (entry.is_regular_file() && entry.path().extension() == ".abc") {
          files.push_back(entry.path());
        }
      }
      std::sort(files.begin(), files.end());
    } else if (fs::exists(spec.data)) {
      files.push_back(spec.data);
    } else {
      throw Error(ErrorKind::Io, spec.data.string() + ": no such file or directory");
    }
    for (const fs::path& file : files) {
      const std::string relative = fs::is_directory(spec.data)
                                       ? fs::relative(file, spec.data).generic_string()
                                       : file.filename().string();
      const std::vector<std::string> tunes = split_abc_tunes(read_text_file(file.string()));
      for (size_t i = 0; i < tunes.size(); ++i) {
        docs_.push_back(
            {relative + ":" + std::to_string(i + 1), relative, nlohmann::json{{"text", tunes[i]}}});
      }
    }
    if (docs_.empty()) throw bad_input(spec.data.string(), "", "no ABC tunes found");
  }

  std::string name() const override { return spec_.name; }
  std::string version() const override { return spec_.version; }
  nlohmann::json options() const override {
    nlohmann::json out = spec_.raw;
    out["data"] = spec_.data.string();
    out["num_tunes"] = docs_.size();
    return out;
  }
  const std::vector<Doc>& docs() const override { return docs_; }

  std::vector<LmRequest> requests(const Doc& doc) const override {
    return {{LmRequest::Type::Rolling, "", doc.data.at("text").get<std::string>()}};
  }

  SampleResult score(const Doc& doc, std::span<const LmResponse> responses) const override {
    if (responses.size() != 1) {
      throw Error(ErrorKind::Internal, spec_.name + ": document " + doc.id + ": expected 1 " +
                                           "response, got " + std::to_string(responses.size()));
    }
    const std::string text = doc.data.at("text").get<std::string>();
    SampleResult result;
    result.doc_id = doc.id;
    result.subset = doc.subset;
    result.prompt = text;
    result.values["nll"] = -responses[0].logprob;
    result.values["tokens"] = static_cast<double>(responses[0].num_tokens);
    result.values["bytes"] = static_cast<double>(text.size());
    return result;
  }

  std::vector<MetricValue> aggregate(std::span<const SampleResult> samples) const override {
    double nll = 0.0;
    double tokens = 0.0;
    double bytes = 0.0;
    int64_t n = 0;
    for (const SampleResult& s : samples) {
      const auto a = s.values.find("nll");
      const auto b = s.values.find("tokens");
      const auto c = s.values.find("bytes");
      if (a == s.values.end() || b == s.values.end() || c == s.values.end()) continue;
      nll += a->second;
      tokens += b->second;
      bytes += c->second;
      ++n;
    }
    if (n == 0) return {};
    const double per_token = tokens > 0 ? nll / tokens : kNaN;
    return {
        {"perplexity", "", std::exp(per_token), kNaN, n, higher_is_better("perplexity")},
        {"bits_per_byte", "", bytes > 0 ? nll / std::numbers::ln2 / bytes : kNaN, kNaN, n,
         higher_is_better("bits_per_byte")},
        {"nll_per_token", "", per_token, kNaN, n, higher_is_better("nll_per_token")},
        {"tokens", "", tokens, kNaN, n, higher_is_better("tokens")},
        {"bytes", "", bytes, kNaN, n, higher_is_better("bytes")},
        {"tunes", "", static_cast<double>(n), kNaN, n, higher_is_better("tunes")},
    };
  }

 private:
  SuiteSpec spec_;
  std::vector<Doc> docs_;
};

}  // namespace

std::vector<std::string> split_abc_tunes(const std::string& text) {
  std::vector<std::string> tunes;
  std::string current;
  bool seen_header = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    const std::string_view line(text.data() + pos, end - pos);
    if (line.rfind("X:", 0) == 0) {
      if (seen_header) {
        std::string tune = finish_tune(std::move(current));
        if (!tune.empty()) tunes.push_back(std::move(tune));
      }
      current.clear();
      seen_header = true;
    }
    current.append(line);
    pos = end;
  }
  std::string last = finish_tune(std::move(current));
  if (!last.empty()) tunes.push_back(std::move(last));  // the last tune, or a file without X:
  return tunes;
}

std::unique_ptr<Suite> make_abc_ppl_suite(const SuiteSpec& spec) {
  return std::make_unique<AbcPplSuite>(spec);
}

}  // namespace tb::suites
