#pragma once
// The CI regression gate: rules such as "acc may drop by at most 0.01" or "perplexity may rise
// by at most 2%", checked on compared runs, and the JUnit XML report CI systems display.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reports/render_compare.hpp"

namespace tb {

struct GateRule {
  std::string metric;
  std::string subset;  // "" for the whole suite; "acc:knowledge=0.01" names one
  bool rise = false;   // --max-rise (candidate - baseline) or --max-drop (baseline - candidate)
  double amount = 0.0;
  bool relative = false;  // amount is a percentage of the baseline value
  std::string text;       // as given, for messages
};

// Parses "NAME[:SUBSET]=AMOUNT[%]" (AMOUNT a non-negative number). Throws tb::Error (BadInput)
// naming the option and the rule.
GateRule parse_gate_rule(std::string_view text, bool rise);

struct GateCheck {
  GateRule rule;
  std::string suite;
  Run baseline;
  Run candidate;
  ComparedMetric compared;
  double allowed = 0.0;  // the absolute move allowed
  double moved = 0.0;    // the move in the rule's direction (drop or rise)
  bool passed = true;
  std::string message;  // "acc dropped 0.1250 (allowed 0.0100): 0.5000 -> 0.3750, p=0.0312"
};

// Every rule checked against every step that has its metric. A rule no step has throws
// tb::Error (BadInput) naming the metric.
std::vector<GateCheck> evaluate_gate(std::span<const GateRule> rules,
                                     std::span<const ComparisonStep> steps);

// <testsuites><testsuite name="tunebench gate" tests= failures=><testcase classname="SUITE"
// name="METRIC[:SUBSET] max-drop 0.01">[<failure message=.../>]</testcase>...
std::string gate_junit_xml(std::span<const GateCheck> checks);

}  // namespace tb
