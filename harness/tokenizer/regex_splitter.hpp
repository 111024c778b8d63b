#pragma once
// Splits text with a PCRE2 regex (UTF + UCP, JIT-compiled), as the Hugging Face pre-tokenizers
// do with their `Split` behaviours. Immutable and thread-safe after construction.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tb {

// The GPT-2 pre-tokenizer pattern (HF ByteLevel with use_regex: true).
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Escapes `literal` for use inside a pattern.
std::string regex_escape(std::string_view literal);

class RegexSplitter {
 public:
  // Throws tb::Error (BadInput) naming `where` when the pattern does not compile.
  RegexSplitter(std::string_view pattern, const std::string& where);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  // Appends the pieces of `text` to `out`: every match, and when `keep_gaps` also the text
  // between matches (HF "Isolated"); without it the gaps are dropped (HF "Removed" on the
  // inverted pattern, as the Whitespace pre-tokenizer does). Text that is not valid UTF-8 or
  // that exceeds PCRE2's match limit is tb::Error (BadInput) naming `where` (the tokenizer file
  // and field), the byte offset in the text and the cause.
  void split(std::string_view text, bool keep_gaps, std::vector<std::string_view>& out) const;

 private:
  [[noreturn]] void fail_match(int rc, size_t pos) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string where_;
};

// The compiled GPT-2 pattern, shared by every byte-level tokenizer.
std::shared_ptr<RegexSplitter> gpt2_regex();

}  // namespace tb
