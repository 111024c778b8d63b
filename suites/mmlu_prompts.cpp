#include "suites/mmlu_prompts.hpp"

#include "suites/choice_scoring.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

namespace {

constexpr const char* kOcQuestion = "{input}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer: ";

std::string spaced(const std::string& subject) {
  return replace_all(subject, "_", " ");
}

std::vector<std::pair<std::string, std::string>> entry_of(const MmluItem& item) {
  return {{"input", item.question}, {"A", item.options[0]}, {"B", item.options[1]},
          {"C", item.options[2]},   {"D", item.options[3]}, {"target", kLetters[item.answer]}};
}

}  // namespace

std::string mmlu_lmeval_description(const std::string& subject) {
  return "The following are multiple choice questions (with answers) about " + spaced(subject) +
         ".\n\n";
}

std::string mmlu_lmeval_question(const MmluItem& item) {
  return python_strip(item.question) + "\nA. " + item.options[0] + "\nB. " + item.options[1] +
         "\nC. " + item.options[2] + "\nD. " + item.options[3] + "\nAnswer:";
}

std::string mmlu_lmeval_context(const MmluItem& item, const std::vector<MmluItem>& shots) {
  std::string context = mmlu_lmeval_description(item.subject);
  for (const MmluItem& shot : shots) {
    context += mmlu_lmeval_question(shot) + " " + kLetters[shot.answer] + "\n\n";
  }
  return context + mmlu_lmeval_question(item);
}

std::string mmlu_opencompass_text(const MmluItem& item, int label,
                                  const std::vector<MmluItem>& shots) {
  std::string ice;
  for (size_t i = 0; i < shots.size(); ++i) {
    if (i > 0) ice += "\n";
    const std::string tp = std::string(kOcQuestion) + kLetters[shots[i].answer] + "\n";
    ice += opencompass_safe_format(tp, entry_of(shots[i]));
  }
  ice += "\n";
  const std::string tp = "The following are multiple choice questions (with answers) about  " +
                         spaced(item.subject) + ".\n\n" + ice + kOcQuestion + kLetters[label];
  return opencompass_safe_format(tp, entry_of(item));
}

}  // namespace tb::suites
