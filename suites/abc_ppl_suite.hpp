#pragma once
// The "abc-ppl" suite: corpus perplexity and bits per byte of ABC tunes. The data is an .abc
// file or a directory searched recursively for *.abc (sorted by path). Each file is split into
// tunes at lines starting with "X:"; text before the first X: (a file header) is not scored; a
// file with no X: line is one tune. A tune's text runs from its X: line to the next one, trailing
// blank lines removed, ending in one "\n". Each tune is one Rolling request.
//
// Per sample: nll (-logprob), tokens, bytes (UTF-8). Metrics: perplexity = exp(sum nll /
// sum tokens), bits_per_byte = sum nll / ln 2 / sum bytes, nll_per_token, tokens, bytes, tunes.
#include <memory>
#include <string>
#include <vector>

#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb::suites {

// The tunes of one ABC text, as scored (see above).
std::vector<std::string> split_abc_tunes(const std::string& text);

std::unique_ptr<Suite> make_abc_ppl_suite(const SuiteSpec& spec);

}  // namespace tb::suites
