#pragma once
// A test tokenizer over whitespace-separated decimal ids: the LM tests feed the PyTorch
// reference's exact token sequences through the text API.
#include <sstream>
#include <string>
#include <vector>

#include "harness/tokenizer/tokenizer.hpp"

namespace tb::test {

class IdTokenizer : public Tokenizer {
 public:
  IdTokenizer() = default;  // no BOS or EOS
  explicit IdTokenizer(const SpecialTokens& specials) { set_specials(specials); }

  std::vector<int32_t> encode(std::string_view text) const override {
    std::istringstream in{std::string(text)};
    std::vector<int32_t> ids;
    int32_t id;
    while (in >> id) ids.push_back(id);
    return ids;
  }
  std::string decode(std::span<const int32_t> ids) const override {
    std::string out;
    for (int32_t id : ids) {
      if (!out.empty()) out += ' ';
      out += std::to_string(id);
    }
    return out;
  }
  int32_t vocab_size() const override { return 300; }
  std::string id_to_token(int32_t id) const override { return std::to_string(id); }
  std::string kind() const override { return "test-ids"; }
};

}  // namespace tb::test
