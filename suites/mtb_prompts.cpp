#include "suites/mtb_prompts.hpp"

#include "suites/choice_scoring.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

namespace {

constexpr const char* kQuestion = "{input}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer: ";

// The test_ds row as OpenCompass's safe_format walks it (reader input columns, then target).
std::vector<std::pair<std::string, std::string>> entry_of(const MtbItem& item) {
  return {{"input", mtb_input(item)}, {"A", item.options[0]}, {"B", item.options[1]},
          {"C", item.options[2]},     {"D", item.options[3]}, {"target", kLetters[item.answer]}};
}

}  // namespace

std::string mtb_ice(const std::vector<MtbItem>& shots) {
  if (shots.empty()) return "";
  std::string ice;
  for (size_t i = 0; i < shots.size(); ++i) {
    if (i > 0) ice += "\n";  // ice_separator
    const std::string tp = std::string(kQuestion) + kLetters[shots[i].answer] + "\n";
    ice += opencompass_safe_format(tp, entry_of(shots[i]));
  }
  return ice + "\n";  // ice_eos_token
}

std::string mtb_option_text(const MtbItem& item, int label, const std::vector<MtbItem>& shots) {
  std::string tp = std::string(kMtbHint) + "\n";
  if (!shots.empty()) tp += mtb_ice(shots);  // the ice_token "</E>" replaced first
  tp += std::string(kQuestion) + kLetters[label];
  return opencompass_safe_format(tp, entry_of(item));
}

}  // namespace tb::suites
