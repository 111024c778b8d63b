#pragma once
// MMLU prompts for the two published protocols.
//
// lm-eval (lm_eval/tasks/mmlu/default/_default_template_yaml + _generate_configs.py):
//   description "The following are multiple choice questions (with answers) about {subject with
//   spaces}.\n\n"; doc_to_text "{{question.strip()}}\nA. {{choices[0]}}\nB. ..\nD. ..\nAnswer:";
//   first_n dev shots, each doc_to_text + " " + letter, followed by "\n\n"; continuations
//   " A".." D"; argmax of the summed log-probs.
// OpenCompass (configs/datasets/mmlu/mmlu_ppl_ac766d.py, ChatMusician's MMLU):
//   "{hint}</E>{input}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer: X" with hint "The following are
//   multiple choice questions (with answers) about  {subject with spaces}.\n\n" (two spaces);
//   </E> = dev items 0-4 as "{input}\n..Answer: {gold}\n" joined with "\n" plus "\n"; the
//   question is not stripped; placeholders filled by the sequential safe_format.
#include <string>
#include <vector>

#include "suites/mmlu_items.hpp"

namespace tb::suites {

std::string mmlu_lmeval_description(const std::string& subject);

// doc_to_text of one item (ends with "Answer:").
std::string mmlu_lmeval_question(const MmluItem& item);

// The whole context of `item` after `shots` (description, shots, question).
std::string mmlu_lmeval_context(const MmluItem& item, const std::vector<MmluItem>& shots);

// The full text scored for option `label` in OpenCompass perplexity mode. With no shots the
// in-context block is what OpenCompass's generate_ice gives for an empty list: "\n".
std::string mmlu_opencompass_text(const MmluItem& item, int label,
                                  const std::vector<MmluItem>& shots);

}  // namespace tb::suites
