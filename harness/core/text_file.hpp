#pragma once
// The one way tunebench reads a whole file: every module's loader (tokenizers, suites, JSON
// configs, the score and metrics commands) gives the same messages, each naming the file.
#include <filesystem>
#include <string>

namespace tb {

// The file's bytes, unchanged. Throws tb::Error (Io) naming the path when it is a directory or
// not a regular file (a FIFO is refused at once, never waited on), cannot be opened (with the
// system's reason) or fails while being read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace tb
