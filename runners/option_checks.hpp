#pragma once
// Validators for command-line values shared by several commands; a bad value is a CLI11
// ParseError naming the flag (exit code 2) before any file is opened.
#include <CLI/CLI.hpp>
#include <string>

#include "harness/core/limits.hpp"

namespace tb {

// --context: 0 (the model's maximum) or at least limits::kMinContextWindow tokens.
inline CLI::Validator context_window_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        int64_t n = 0;
        if (!CLI::detail::lexical_cast(value, n) || (n != 0 && n < limits::kMinContextWindow)) {
          return "must be 0 (the model's maximum) or at least " +
                 std::to_string(limits::kMinContextWindow) + " tokens, got " + value;
        }
        return {};
      },
      "0|>=" + std::to_string(limits::kMinContextWindow));
}

}  // namespace tb
