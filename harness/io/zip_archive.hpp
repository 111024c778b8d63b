#pragma once
// A zip archive read with minizip (Debian's libminizip), the container of torch.save files.
// The file is also mmap'd read-only: an entry stored without compression (torch stores every
// tensor that way, 64-byte aligned) is a view into the mapping, never copied; a deflated entry
// is inflated when the archive is opened, into memory it owns. Either way the bytes stay valid
// while the ZipArchive lives.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tb {

class ZipArchive {
 public:
  // Reads the central directory and checks that every entry lies inside the file, apart from the
  // others (an entry whose data overlaps another's is refused before either is inflated). Throws
  // tb::Error: Io (cannot open), BadInput ("FILE: not a zip archive", "FILE: entry NAME: ...").
  static std::shared_ptr<const ZipArchive> open(const std::filesystem::path& path);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::filesystem::path& path() const { return path_; }
  size_t file_size() const { return size_; }
  // The whole mapped file (for content hashes).
  const std::byte* file_data() const { return base_; }

  // Entry names in central-directory order.
  const std::vector<std::string>& names() const { return names_; }
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  // True when the entry is stored uncompressed (so `bytes` is a view into the mapping).
  bool is_mapped(const std::string& name) const;
  // The entry's uncompressed bytes, or tb::Error BadInput "FILE: entry NAME: missing".
  std::string_view bytes(const std::string& name) const;
  // Bytes inflated by open(): at most limits::kZipInflateRatio times the file's size, since no
  // two entries may share compressed data. For tests of growth.
  uint64_t inflated_bytes() const { return inflated_; }
  // The same count for the last open() on this thread, including one that threw.
  static uint64_t last_inflated_bytes();

 private:
  struct Entry {
    uint64_t offset = 0;  // of the data in the file, for stored entries
    uint64_t size = 0;    // uncompressed
    bool stored = false;
    std::string inflated;  // the bytes of a deflated entry, inflated (CRC checked) at open
  };
  ZipArchive() = default;

  std::filesystem::path path_;
  const std::byte* base_ = nullptr;
  size_t size_ = 0;
  uint64_t inflated_ = 0;
  std::vector<std::string> names_;
  std::map<std::string, Entry> entries_;
};

}  // namespace tb
