#include "harness/core/strict_json.hpp"

#include <unordered_set>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"

namespace tb {
namespace {

using nlohmann::json;

thread_local size_t last_event_count = 0;

// A SAX pass that builds nothing: it checks depth and top-level keys in O(1) per event, so that
// the DOM parse after it runs only on input known to be well formed. (nlohmann's parse callback
// would do the same checks in one pass, but its end_object rescans the parent object, which is
// quadratic in the number of members: 100k tensors took a minute.)
class Validator {
 public:
  explicit Validator(const StrictJsonOptions& options) : options_(options) {}

  bool null() { return count(); }
  bool boolean(bool) { return count(); }
  bool number_integer(json::number_integer_t) { return count(); }
  bool number_unsigned(json::number_unsigned_t) { return count(); }
  bool number_float(json::number_float_t, const json::string_t&) { return count(); }
  bool string(json::string_t&) { return count(); }
  bool binary(json::binary_t&) { return count(); }
  bool start_object(size_t) { return open(); }
  bool start_array(size_t) { return open(); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    count();
    if (depth_ == 1 && options_.reject_duplicate_keys && duplicate_.empty() &&
        !top_keys_.insert(k).second) {
      duplicate_ = k;
    }
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    // nlohmann's messages are one line: "[json.exception.parse_error.101] parse error at ...".
    error_ = e.what();
    return false;
  }

  bool too_deep() const { return too_deep_; }
  const std::string& error() const { return error_; }
  const std::string& duplicate() const { return duplicate_; }

 private:
  bool count() {
    ++last_event_count;
    return true;
  }
  bool open() {
    count();
    if (++depth_ > limits::kJsonDepth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }
  bool close() {
    count();
    --depth_;
    return true;
  }

  const StrictJsonOptions& options_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::string error_;
  std::string duplicate_;
  std::unordered_set<std::string> top_keys_;
};

}  // namespace

nlohmann::json parse_strict_json(std::string_view text, const std::string& file,
                                 const std::string& field, StrictJsonOptions options) {
  last_event_count = 0;
  Validator validator(options);
  const bool ok = json::sax_parse(text, &validator);
  if (validator.too_deep()) {
    throw bad_input(
        file, field,
        "JSON nested deeper than " + std::to_string(limits::kJsonDepth) + " levels (the limit)");
  }
  if (!ok) throw bad_input(file, field, "malformed JSON: " + validator.error());
  json value;
  try {
    value = json::parse(text);
  } catch (const json::exception& e) {
    throw bad_input(file, field, std::string("malformed JSON: ") + e.what());  // not expected
  }
  if (options.require_object && !value.is_object()) {
    throw bad_input(file, field, "expected a JSON object, found " + std::string(value.type_name()));
  }
  if (!validator.duplicate().empty()) {
    throw bad_input(file, field, "duplicate key '" + validator.duplicate() + "'");
  }
  return value;
}

std::string quoted_json(std::string_view text) {
  return json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

size_t strict_json_last_event_count() {
  return last_event_count;
}

}  // namespace tb
