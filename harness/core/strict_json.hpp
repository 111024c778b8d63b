#pragma once
// The one JSON parser entry point for files tunebench reads: linear time and memory in the
// input, nesting limited to limits::kJsonDepth (checked before any value is built, because the
// readers above recurse), and every failure (syntax, a number out of range such as 1e400,
// invalid UTF-8) a tb::Error "FILE: FIELD: what" (ErrorKind::BadInput).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tb {

struct StrictJsonOptions {
  bool require_object = false;         // the value must be a JSON object
  bool reject_duplicate_keys = false;  // ... without a key that occurs twice at its top level
};

nlohmann::json parse_strict_json(std::string_view text, const std::string& file,
                                 const std::string& field, StrictJsonOptions options = {});

// `text` as a JSON string literal, control characters escaped and invalid UTF-8 replaced, so that
// a value quoted in a message keeps it on one line.
std::string quoted_json(std::string_view text);

// The number of SAX events the validating pass saw in its last call on this thread: a count of
// its work, for tests that check growth on large inputs without timing them.
size_t strict_json_last_event_count();

}  // namespace tb
