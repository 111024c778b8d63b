#pragma once
// The exception of the metrics/notes readers. metrics depends on the standard library only, so
// this is not tb::Error; callers in runners/suites translate it into ErrorKind::BadInput.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace tb::notes {

class ParseError : public std::runtime_error {
 public:
  // what() is "FILE: byte OFFSET: WHAT", one line.
  ParseError(const std::string& file, uint64_t offset, const std::string& what)
      : std::runtime_error(file + ": byte " + std::to_string(offset) + ": " + what),
        file_(file),
        offset_(offset) {}
  const std::string& file() const { return file_; }
  uint64_t offset() const { return offset_; }

 private:
  std::string file_;
  uint64_t offset_;
};

}  // namespace tb::notes
