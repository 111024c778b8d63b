#include "harness/io/zip_archive.hpp"

#include <fcntl.h>
#include <minizip/unzip.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "harness/core/error.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

constexpr uLong kMethodStored = 0;
constexpr uLong kMethodDeflated = 8;
constexpr uLong kFlagEncrypted = 1;

// Closes the minizip handle on every path out of open().
struct UnzCloser {
  unzFile handle;
  ~UnzCloser() {
    if (handle != nullptr) unzClose(handle);
  }
};

}  // namespace

std::shared_ptr<const ZipArchive> ZipArchive::open(const std::filesystem::path& path) {
  const std::string file = path.string();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::Io, file + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorKind::Io, file + ": not a regular file");
  }
  std::shared_ptr<ZipArchive> zip(new ZipArchive());
  zip->path_ = path;
  zip->size_ = static_cast<size_t>(st.st_size);
  if (zip->size_ == 0) {
    ::close(fd);
    throw bad_input(file, "zip", "the file is empty");
  }
  void* base = ::mmap(nullptr, zip->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED)
    throw Error(ErrorKind::Io, file + ": cannot map: " + std::strerror(errno));
  zip->base_ = static_cast<const std::byte*>(base);

  UnzCloser unz{unzOpen64(file.c_str())};
  if (unz.handle == nullptr) throw bad_input(file, "zip", "not a zip archive");
  int err = unzGoToFirstFile(unz.handle);
  for (; err == UNZ_OK; err = unzGoToNextFile(unz.handle)) {
    unz_file_info64 info{};
    if (unzGetCurrentFileInfo64(unz.handle, &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK) {
      throw bad_input(file, "zip", "unreadable central directory entry");
    }
    std::string name(info.size_filename, '\0');
    if (unzGetCurrentFileInfo64(unz.handle, &info, name.data(), name.size(), nullptr, 0, nullptr,
                                0) != UNZ_OK) {
      throw bad_input(file, "zip", "unreadable central directory entry");
    }
    const std::string field = "entry " + printable_name(name);
    if (zip->entries_.count(name)) throw bad_input(file, field, "appears twice");
    if (info.flag & kFlagEncrypted) throw bad_input(file, field, "is encrypted");
    if (info.compression_method != kMethodStored && info.compression_method != kMethodDeflated) {
      throw bad_input(file, field,
                      "compression method " + std::to_string(info.compression_method) +
                          " is not supported (stored or deflated)");
    }
    if (unzOpenCurrentFile(unz.handle) != UNZ_OK) {
      throw bad_input(file, field, "unreadable local header");
    }
    Entry entry;
    entry.size = info.uncompressed_size;
    entry.stored = info.compression_method == kMethodStored;
    if (entry.stored) {
      entry.offset = unzGetCurrentFileZStreamPos64(unz.handle);
      if (info.compressed_size != info.uncompressed_size || entry.offset > zip->size_ ||
          entry.size > zip->size_ - entry.offset) {
        unzCloseCurrentFile(unz.handle);
        throw bad_input(file, field, "data extends past the end of the file");
      }
    } else {
      // Inflate no more than the declared size (plus one byte to detect a lie).
      if (entry.size > zip->size_ * 1032ULL) {
        unzCloseCurrentFile(unz.handle);
        throw bad_input(file, field, "declared size exceeds deflate's maximum ratio");
      }
      entry.inflated.resize(static_cast<size_t>(entry.size) + 1);
      size_t got = 0;
      for (;;) {
        const size_t want = std::min<size_t>(entry.inflated.size() - got, 1U << 30);
        if (want == 0) break;
        const int n = unzReadCurrentFile(unz.handle, entry.inflated.data() + got,
                                         static_cast<unsigned>(want));
        if (n < 0) {
          unzCloseCurrentFile(unz.handle);
          throw bad_input(file, field, "corrupt deflate stream");
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
      }
      if (got != entry.size) {
        unzCloseCurrentFile(unz.handle);
        throw bad_input(file, field, "inflates to a size other than the declared one");
      }
      entry.inflated.resize(got);
    }
    if (unzCloseCurrentFile(unz.handle) == UNZ_CRCERROR) {
      throw bad_input(file, field, "CRC mismatch");
    }
    zip->names_.push_back(name);
    zip->entries_.emplace(name, std::move(entry));
  }
  if (err != UNZ_END_OF_LIST_OF_FILE) throw bad_input(file, "zip", "corrupt central directory");
  return zip;
}

ZipArchive::~ZipArchive() {
  if (base_ != nullptr) ::munmap(const_cast<std::byte*>(base_), size_);
}

bool ZipArchive::is_mapped(const std::string& name) const {
  const auto it = entries_.find(name);
  return it != entries_.end() && it->second.stored;
}

std::string_view ZipArchive::bytes(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end())
    throw bad_input(path_.string(), "entry " + printable_name(name), "missing");
  const Entry& e = it->second;
  if (!e.stored) return e.inflated;
  return {reinterpret_cast<const char*>(base_ + e.offset), static_cast<size_t>(e.size)};
}

}  // namespace tb
