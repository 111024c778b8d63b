#include "harness/io/zip_archive.hpp"

#include <fcntl.h>
#include <minizip/unzip.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

constexpr uLong kMethodStored = 0;
constexpr uLong kMethodDeflated = 8;
constexpr uLong kFlagEncrypted = 1;
// A deflate stream of a few bytes can hold a little more than 1032 times its size (an empty or
// one-byte entry): the ratio check allows this much on top.
constexpr uint64_t kDeflateSlack = 1024;

thread_local uint64_t last_inflated = 0;

// Closes the minizip handle on every path out of open().
struct UnzCloser {
  unzFile handle;
  ~UnzCloser() {
    if (handle != nullptr) unzClose(handle);
  }
};

}  // namespace

uint64_t ZipArchive::last_inflated_bytes() {
  return last_inflated;
}

std::shared_ptr<const ZipArchive> ZipArchive::open(const std::filesystem::path& path) {
  const std::string file = path.string();
  last_inflated = 0;
  // O_NONBLOCK: open() on a FIFO named pytorch_model.bin would otherwise wait for a writer
  // forever; fstat then refuses it (the flag does not change how a regular file is read).
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
  const uint64_t inflate_budget = zip->size_ * limits::kZipInflateRatio;
  std::map<uint64_t, std::pair<uint64_t, std::string>> data_ranges;  // start -> (end, entry)
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
    // Each entry's data must lie in the file, apart from every other entry's: entries pointing at
    // one deflate stream (64 entries, one 256 MiB stream: 16 GiB from 265 KB) are an overlapping
    // zip bomb that no per-entry check sees. Checked before anything is inflated.
    const uint64_t data_at = unzGetCurrentFileZStreamPos64(unz.handle);
    const uint64_t data_size = info.compressed_size;
    if (data_at > zip->size_ || data_size > zip->size_ - data_at ||
        (entry.stored && info.compressed_size != info.uncompressed_size)) {
      unzCloseCurrentFile(unz.handle);
      throw bad_input(file, field, "data extends past the end of the file");
    }
    if (data_size > 0) {
      auto next = data_ranges.lower_bound(data_at);
      const bool overlaps_next = next != data_ranges.end() && next->first < data_at + data_size;
      const bool overlaps_previous =
          next != data_ranges.begin() && std::prev(next)->second.first > data_at;
      if (overlaps_next || overlaps_previous) {
        unzCloseCurrentFile(unz.handle);
        const std::string& other = (overlaps_next ? next : std::prev(next))->second.second;
        throw bad_input(file, field,
                        "data overlaps that of entry " + printable_name(other) +
                            " (entries sharing compressed data: a zip bomb)");
      }
      data_ranges.emplace(data_at, std::make_pair(data_at + data_size, name));
    }
    if (entry.stored) {
      entry.offset = data_at;
    } else {
      // Inflate no more than the declared size (plus one byte to detect a lie), which deflate
      // cannot make from this entry's data, or past what the whole file may inflate to.
      if (entry.size > data_size * limits::kZipInflateRatio + kDeflateSlack) {
        unzCloseCurrentFile(unz.handle);
        throw bad_input(file, field, "declared size exceeds deflate's maximum ratio");
      }
      // (inflated_ may pass the budget by the one byte read to detect a lie.)
      if (zip->inflated_ >= inflate_budget || entry.size > inflate_budget - zip->inflated_) {
        unzCloseCurrentFile(unz.handle);
        throw bad_input(file, field,
                        "the entries inflate to more than " +
                            std::to_string(limits::kZipInflateRatio) + " times the file's size");
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
        zip->inflated_ += static_cast<uint64_t>(n);
        last_inflated = zip->inflated_;
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
