#define PCRE2_CODE_UNIT_WIDTH 8
#include "harness/tokenizer/regex_splitter.hpp"

#include <pcre2.h>

#include "harness/core/error.hpp"

namespace tb {

struct RegexSplitter::Impl {
  pcre2_code* code = nullptr;
  ~Impl() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(std::string_view pattern, const std::string& where)
    : impl_(std::make_unique<Impl>()), where_(where) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (impl_->code == nullptr) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(error, buffer, sizeof(buffer));
    throw bad_input(where, "",
                    "regex does not compile at offset " + std::to_string(offset) + ": " +
                        reinterpret_cast<const char*>(buffer));
  }
  // JIT makes matching several times faster; without it (unsupported CPU) the interpreter works.
  pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);
}

RegexSplitter::~RegexSplitter() = default;

void RegexSplitter::fail_match(int rc, size_t pos) const {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(rc, buffer, sizeof(buffer));
  const std::string reason = reinterpret_cast<const char*>(buffer);
  // PCRE2's UTF-8 errors are -3 .. -23 (PCRE2_ERROR_UTF8_ERR21 .. ERR1).
  const bool utf8 = rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21;
  const std::string what =
      utf8 ? "the text is not valid UTF-8 (" + reason + ")"
           : "the regex gave up on the text at byte " + std::to_string(pos) + " (" + reason + ")";
  throw bad_input(where_, "", what);
}

void RegexSplitter::split(std::string_view text, bool keep_gaps,
                          std::vector<std::string_view>& out) const {
  // Match data per call keeps concurrent callers independent.
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  if (md == nullptr) throw Error(ErrorKind::Internal, "pcre2: out of memory");
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  size_t gap_start = 0;
  uint32_t options = 0;
  while (pos <= text.size()) {
    const int rc = pcre2_match(impl_->code, subject, text.size(), pos, options, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      pcre2_match_data_free(md);
      fail_match(rc, pos);
    }
    // The first call validated the whole subject; checking it again each time is quadratic.
    options = PCRE2_NO_UTF_CHECK;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t start = ov[0];
    const size_t end = ov[1];
    if (end == start) {
      // An empty match: step one character on so the loop advances.
      if (start >= text.size()) break;
      pos = start + 1;
      while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (keep_gaps && start > gap_start) out.push_back(text.substr(gap_start, start - gap_start));
    out.push_back(text.substr(start, end - start));
    pos = end;
    gap_start = end;
  }
  if (keep_gaps && gap_start < text.size()) out.push_back(text.substr(gap_start));
  pcre2_match_data_free(md);
}

std::string regex_escape(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    if (std::string_view(R"(\^$.|?*+()[]{}-/#)").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::shared_ptr<RegexSplitter> gpt2_regex() {
  static const auto regex = std::make_shared<RegexSplitter>(kGpt2Pattern, "GPT-2 pattern");
  return regex;
}

}  // namespace tb
