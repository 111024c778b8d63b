#include "harness/core/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/core/error.hpp"

namespace tb {
namespace {

// Closes the descriptor on every path out of read_text_file.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  // O_NONBLOCK so that a FIFO (or a device) given as a file is refused at once instead of
  // blocking in open() until some writer appears.
  const Fd in{::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (in.fd < 0) throw Error(ErrorKind::Io, name + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(in.fd, &st) != 0) {
    throw Error(ErrorKind::Io, name + ": cannot stat: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::Io, name + ": cannot read: is a directory");
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::Io, name + ": cannot read: not a regular file");
  }
  std::string bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in.fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::Io, name + ": read error: " + std::strerror(errno));
    }
    bytes.append(buffer, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace tb
