#include "reports/gate.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "harness/core/error.hpp"
#include "reports/xml_escape.hpp"

namespace tb {

namespace {

std::string p_text(double p) {
  return std::isfinite(p) ? fmt::format("{:.4g}", p) : "no paired test";
}

}  // namespace

GateRule parse_gate_rule(std::string_view text, bool rise) {
  const std::string option = rise ? "--max-rise" : "--max-drop";
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::BadInput, option + " " + std::string(text) + ": " + why);
  };
  GateRule rule;
  rule.rise = rise;
  rule.text = std::string(text);
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw bad("expected METRIC=AMOUNT or METRIC=PERCENT% (e.g. acc=0.01, perplexity=2%)");
  std::string_view name = text.substr(0, eq);
  std::string_view amount = text.substr(eq + 1);
  if (const size_t colon = name.find(':'); colon != std::string_view::npos) {
    rule.subset = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (name.empty() || rule.subset.empty()) throw bad("expected METRIC:SUBSET=AMOUNT");
  }
  rule.metric = std::string(name);
  if (!amount.empty() && amount.back() == '%') {
    rule.relative = true;
    amount.remove_suffix(1);
  }
  double value = 0.0;
  const auto [end, ec] = std::from_chars(amount.data(), amount.data() + amount.size(), value);
  if (amount.empty() || ec != std::errc() || end != amount.data() + amount.size())
    throw bad("the amount '" + std::string(amount) + "' is not a number");
  if (!std::isfinite(value) || value < 0) throw bad("the amount must be a non-negative number");
  rule.amount = value;
  return rule;
}

std::vector<GateCheck> evaluate_gate(std::span<const GateRule> rules,
                                     std::span<const ComparisonStep> steps) {
  std::vector<GateCheck> checks;
  for (const GateRule& rule : rules) {
    bool found = false;
    for (const ComparisonStep& step : steps) {
      for (const ComparedMetric& c : step.metrics) {
        if (c.metric != rule.metric || c.subset != rule.subset) continue;
        found = true;
        GateCheck check;
        check.rule = rule;
        check.suite = step.baseline.info.suite;
        check.baseline = step.baseline;
        check.candidate = step.candidate;
        check.compared = c;
        check.allowed = rule.relative ? rule.amount / 100.0 * std::fabs(c.baseline) : rule.amount;
        check.moved = rule.rise ? c.candidate - c.baseline : c.baseline - c.candidate;
        // A NaN on either side is a failure: the gate cannot say the metric held.
        check.passed = std::isfinite(check.moved) && check.moved <= check.allowed;
        check.message = fmt::format(
            "{}{} {} {:.4f} (allowed {:.4f}): {:.4f} -> {:.4f}, p={}{}", c.metric,
            c.subset.empty() ? "" : ":" + c.subset, rule.rise ? "rose" : "dropped", check.moved,
            check.allowed, c.baseline, c.candidate, p_text(c.p_value),
            c.test.empty() ? "" : (c.significant ? " (beyond noise)" : " (within noise)"));
        checks.push_back(std::move(check));
      }
    }
    if (!found)
      throw Error(ErrorKind::BadInput,
                  std::string(rule.rise ? "--max-rise " : "--max-drop ") + rule.text +
                      ": no compared run pair has metric '" + rule.metric +
                      (rule.subset.empty() ? "" : "' in subset '" + rule.subset) + "'");
  }
  return checks;
}

std::string gate_junit_xml(std::span<const GateCheck> checks) {
  int failures = 0;
  for (const GateCheck& c : checks) failures += c.passed ? 0 : 1;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"tunebench gate\" tests=\"{}\" failures=\"{}\">\n",
                     checks.size(), failures);
  out += fmt::format("  <testsuite name=\"tunebench gate\" tests=\"{}\" failures=\"{}\">\n",
                     checks.size(), failures);
  for (const GateCheck& c : checks) {
    const std::string name = fmt::format(
        "{}{} {} {}{}", c.rule.metric, c.rule.subset.empty() ? "" : ":" + c.rule.subset,
        c.rule.rise ? "max-rise" : "max-drop", c.rule.amount, c.rule.relative ? "%" : "");
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\">\n", xml_escape(c.suite),
                       xml_escape(name));
    const std::string runs = fmt::format("baseline {}, candidate {}", describe_run(c.baseline),
                                         describe_run(c.candidate));
    if (!c.passed)
      out += fmt::format("      <failure message=\"{}\">{}</failure>\n", xml_escape(c.message),
                         xml_escape(runs));
    out += fmt::format("      <system-out>{}; {}</system-out>\n", xml_escape(c.message),
                       xml_escape(runs));
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace tb
