#pragma once
// tb::Error: the one exception type for work that must stop. Its kind decides the exit code.
#include <stdexcept>
#include <string>

namespace tb {

enum class ErrorKind {
  BadInput,     // a file or argument the user gave is malformed: exit code 2
  Io,           // a file cannot be read or written: exit code 2
  Unsupported,  // valid input tunebench does not handle (an architecture, a dtype): exit code 2
  OutOfMemory,  // a device or pinned host allocation failed (sizes asked and free): exit code 2
  Internal,     // a bug in tunebench: exit code 70
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return kind_ == ErrorKind::Internal ? 70 : 2; }

 private:
  ErrorKind kind_;
};

// Shorthand for the common case: `throw bad_input(path, "field", "what is wrong")` gives
// "PATH: FIELD: what is wrong".
Error bad_input(const std::string& file, const std::string& field, const std::string& what);

}  // namespace tb
