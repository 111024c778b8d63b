#pragma once
// The 57 MMLU subjects and lm-eval's subject -> category table (lm_eval/tasks/mmlu/
// _generate_configs.py SUBJECTS; e.g. anatomy is "stem" there, not "other" as in Hendrycks').
#include <span>
#include <string>
#include <string_view>

namespace tb::suites {

struct MmluSubject {
  const char* name;
  const char* category;  // "stem", "humanities", "social_sciences" or "other"
};

std::span<const MmluSubject> mmlu_subjects();

// The four categories in lm-eval's reporting order.
std::span<const char* const> mmlu_categories();

// The category of `subject`, or "" for a subject not among the 57.
std::string mmlu_category(std::string_view subject);

}  // namespace tb::suites
