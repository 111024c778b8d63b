#pragma once
// A tokenizer whose vocabulary writes "\n" as a symbol: MuPT's GPT-2 BPE was trained on ABC with
// every newline replaced by "<n>", and its model card's server maps prompts and outputs by hand
// (prompt.replace("\n", "<n>"), output.replace("<n>", "\n")). The wrapper applies that mapping
// in encode and decode so that suites keep seeing plain ABC text and a tune is tokenised as
// MuPT's server tokenises it. The symbol comes from the command line (--newline-symbol) or from
// tokenizer_config.json ("newline_symbol": "<n>"); without either nothing changes.
#include <filesystem>
#include <memory>
#include <string>

#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

// The "newline_symbol" of the directory's tokenizer_config.json, "" when the file or the key is
// absent. Throws tb::Error (BadInput) naming the file and field when it is not a non-empty
// string without a newline.
std::string configured_newline_symbol(const std::filesystem::path& model_dir);

// `inner` with "\n" written as `symbol` (non-empty, no "\n" in it): encode replaces every "\n"
// before tokenising, decode replaces every `symbol` after detokenising. kind() is the inner
// kind with " newline=<symbol>" appended, so that runs record it.
std::unique_ptr<Tokenizer> with_newline_symbol(std::unique_ptr<Tokenizer> inner,
                                               const std::string& symbol);

// The hook model loading calls: `symbol` when given (the command line wins), else the
// configured one; `tokenizer` unchanged when neither exists.
std::unique_ptr<Tokenizer> apply_newline_symbol(std::unique_ptr<Tokenizer> tokenizer,
                                                const std::filesystem::path& model_dir,
                                                const std::string& symbol);

}  // namespace tb
