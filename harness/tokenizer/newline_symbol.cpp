#include "harness/tokenizer/newline_symbol.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"

namespace tb {
namespace {

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (size_t hit; (hit = text.find(from, at)) != std::string_view::npos; at = hit + from.size()) {
    out.append(text.substr(at, hit - at));
    out.append(to);
  }
  out.append(text.substr(at));
  return out;
}

class NewlineSymbolTokenizer : public Tokenizer {
 public:
  NewlineSymbolTokenizer(std::unique_ptr<Tokenizer> inner, std::string symbol)
      : inner_(std::move(inner)), symbol_(std::move(symbol)) {
    set_specials(inner_->specials());
  }
  std::vector<int32_t> encode(std::string_view text) const override {
    return inner_->encode(replace_all(text, "\n", symbol_));
  }
  std::string decode(std::span<const int32_t> ids) const override {
    return replace_all(inner_->decode(ids), symbol_, "\n");
  }
  int32_t vocab_size() const override { return inner_->vocab_size(); }
  std::string kind() const override { return inner_->kind() + " newline=" + symbol_; }
  int32_t token_to_id(std::string_view token) const override { return inner_->token_to_id(token); }
  std::string id_to_token(int32_t id) const override { return inner_->id_to_token(id); }

 private:
  std::unique_ptr<Tokenizer> inner_;
  std::string symbol_;
};

void check_symbol(const std::string& symbol, const std::string& where) {
  if (symbol.empty() || symbol.find('\n') != std::string::npos) {
    throw bad_input(where, "newline_symbol", "must be a non-empty string without a newline");
  }
}

}  // namespace

std::string configured_newline_symbol(const std::filesystem::path& model_dir) {
  const std::filesystem::path path = model_dir / "tokenizer_config.json";
  std::ifstream in(path);
  if (!in) return "";
  const nlohmann::json config = nlohmann::json::parse(in, nullptr, false);
  if (config.is_discarded() || !config.is_object() || !config.contains("newline_symbol")) {
    return "";  // a malformed file is reported by the tokenizer loader, which reads it first
  }
  const auto& value = config["newline_symbol"];
  if (!value.is_string()) {
    throw bad_input(path.string(), "newline_symbol", "must be a string");
  }
  check_symbol(value.get<std::string>(), path.string());
  return value.get<std::string>();
}

std::unique_ptr<Tokenizer> with_newline_symbol(std::unique_ptr<Tokenizer> inner,
                                               const std::string& symbol) {
  check_symbol(symbol, "--newline-symbol");
  return std::make_unique<NewlineSymbolTokenizer>(std::move(inner), symbol);
}

std::unique_ptr<Tokenizer> apply_newline_symbol(std::unique_ptr<Tokenizer> tokenizer,
                                                const std::filesystem::path& model_dir,
                                                const std::string& symbol) {
  const std::string chosen = symbol.empty() ? configured_newline_symbol(model_dir) : symbol;
  if (chosen.empty()) return tokenizer;
  return with_newline_symbol(std::move(tokenizer), chosen);
}

}  // namespace tb
