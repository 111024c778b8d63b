#include "harness/core/error.hpp"

namespace tb {

Error bad_input(const std::string& file, const std::string& field, const std::string& what) {
  std::string message = file;
  if (!field.empty()) message += ": " + field;
  message += ": " + what;
  return Error(ErrorKind::BadInput, message);
}

}  // namespace tb
