#include "harness/io/safetensors_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

// Headers of real checkpoints are a few hundred KiB; the cap also bounds the memory a hostile
// file can make the JSON parser use.
constexpr uint64_t kMaxHeaderBytes = limits::kSafetensorsHeaderBytes;

// Every dtype of the safetensors format, with its width in bits, so that byte ranges of
// tensors tunebench does not compute with are still validated.
struct SafetensorsDType {
  std::string_view name;
  uint64_t bits;
  std::optional<DType> dtype;
};
constexpr std::array<SafetensorsDType, 21> kDTypes{{
    {"F32", 32, DType::F32},      {"F16", 16, DType::F16},      {"BF16", 16, DType::BF16},
    {"F64", 64, std::nullopt},    {"I64", 64, std::nullopt},    {"U64", 64, std::nullopt},
    {"I32", 32, std::nullopt},    {"U32", 32, std::nullopt},    {"I16", 16, std::nullopt},
    {"U16", 16, std::nullopt},    {"I8", 8, std::nullopt},      {"U8", 8, std::nullopt},
    {"BOOL", 8, std::nullopt},    {"F8_E4M3", 8, std::nullopt}, {"F8_E5M2", 8, std::nullopt},
    {"F8_E8M0", 8, std::nullopt}, {"C64", 64, std::nullopt},    {"F4", 4, std::nullopt},
    {"F6_E2M3", 6, std::nullopt}, {"F6_E3M2", 6, std::nullopt}, {"E8M0", 8, std::nullopt},
}};

const SafetensorsDType* find_dtype(std::string_view name) {
  for (const auto& d : kDTypes) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

// An unsigned JSON integer, or nullopt (negative, fractional, too large, not a number).
std::optional<uint64_t> json_u64(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

uint64_t read_le64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint64_t>(p[i]);
  return v;
}

struct Range {
  uint64_t begin;
  uint64_t end;
  std::string name;
};

}  // namespace

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string file = path.string();
  // O_NONBLOCK: open() on a FIFO named model.safetensors would otherwise wait for a writer
  // forever; the regular-file check below then refuses it. Regular files ignore the flag.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(ErrorKind::Io, file + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(ErrorKind::Io, file + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorKind::Io, file + ": cannot read: not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    throw Error(ErrorKind::Io, file + ": cannot read: empty file");
  }
  const auto size = static_cast<size_t>(st.st_size);
  // MAP_PRIVATE + PROT_READ: the checkpoint can never be modified through us. The mapping keeps
  // the file alive, so the descriptor is closed at once.
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (mapping == MAP_FAILED) {
    throw Error(ErrorKind::Io, file + ": cannot mmap: " + std::strerror(map_errno));
  }
  std::shared_ptr<SafetensorsFile> result(new SafetensorsFile());
  result->path_ = path;
  result->base_ = static_cast<const std::byte*>(mapping);
  result->size_ = size;
  result->parse_header();  // on a throw, the destructor unmaps
  return result;
}

SafetensorsFile::~SafetensorsFile() {
  if (base_) ::munmap(const_cast<std::byte*>(base_), size_);
}

std::string_view SafetensorsFile::header() const {
  return {reinterpret_cast<const char*>(base_ + 8), header_size_};
}

void SafetensorsFile::parse_header() {
  const std::string file = path_.string();
  if (size_ < 8) {
    throw bad_input(
        file, "header",
        "file is " + std::to_string(size_) + " bytes, shorter than the 8-byte header length");
  }
  const uint64_t header_len = read_le64(base_);
  if (header_len > kMaxHeaderBytes) {
    throw bad_input(file, "header",
                    "header length " + std::to_string(header_len) + " exceeds the limit of " +
                        std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (header_len > size_ - 8) {
    throw bad_input(file, "header",
                    "header length " + std::to_string(header_len) + " runs past the end of the " +
                        std::to_string(size_) + "-byte file");
  }
  header_size_ = static_cast<size_t>(header_len);
  const nlohmann::json root = parse_json_object(header(), file, "header");
  const uint64_t data_size = size_ - 8 - header_size_;

  std::vector<Range> ranges;
  for (const auto& [name, entry] : root.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) {
        throw bad_input(file, "header",
                        "__metadata__ must be an object, found " + json_type_name(entry));
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          throw bad_input(file, "header",
                          "__metadata__." + printable_name(key) + " must be a string, found " +
                              json_type_name(value));
        }
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string field = "tensor " + printable_name(name);
    if (!entry.is_object()) {
      throw bad_input(file, field, "expected an object, found " + json_type_name(entry));
    }
    for (const char* key : {"dtype", "shape", "data_offsets"}) {
      if (!entry.contains(key)) throw bad_input(file, field, std::string("missing '") + key + "'");
    }

    const auto& dtype_json = entry.at("dtype");
    if (!dtype_json.is_string()) {
      throw bad_input(file, field, "dtype must be a string, found " + json_type_name(dtype_json));
    }
    const std::string dtype_name = dtype_json.get<std::string>();
    const SafetensorsDType* dtype = find_dtype(dtype_name);
    if (!dtype) throw bad_input(file, field, "unknown dtype '" + dtype_name + "'");

    const auto& shape_json = entry.at("shape");
    if (!shape_json.is_array()) {
      throw bad_input(file, field, "shape must be an array, found " + json_type_name(shape_json));
    }
    Shape shape;
    uint64_t numel = 1;
    for (const auto& dim_json : shape_json) {
      const auto dim = json_u64(dim_json);
      if (!dim || *dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw bad_input(file, field,
                        "shape " + json_excerpt(shape_json) + " must hold non-negative integers");
      }
      if (__builtin_mul_overflow(numel, *dim, &numel) ||
          numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw bad_input(file, field,
                        "shape " + json_excerpt(shape_json) + " has too many elements");
      }
      shape.push_back(static_cast<int64_t>(*dim));
    }
    uint64_t bits = 0;
    if (__builtin_mul_overflow(numel, dtype->bits, &bits)) {
      throw bad_input(file, field, "shape " + json_excerpt(shape_json) + " has too many elements");
    }
    if (bits % 8 != 0) {
      throw bad_input(
          file, field,
          "shape " + json_excerpt(shape_json) + " of " + dtype_name + " does not fill whole bytes");
    }
    const uint64_t nbytes = bits / 8;

    const auto& offsets_json = entry.at("data_offsets");
    std::optional<uint64_t> begin, end;
    if (offsets_json.is_array() && offsets_json.size() == 2) {
      begin = json_u64(offsets_json[0]);
      end = json_u64(offsets_json[1]);
    }
    if (!begin || !end) {
      throw bad_input(file, field,
                      "data_offsets " + json_excerpt(offsets_json) +
                          " must be two non-negative integers [begin, end]");
    }
    if (*begin > *end) {
      throw bad_input(file, field,
                      "data_offsets " + json_excerpt(offsets_json) + " end before begin");
    }
    if (*end - *begin != nbytes) {
      throw bad_input(file, field,
                      "shape " + json_excerpt(shape_json) + " of " + dtype_name + " needs " +
                          std::to_string(nbytes) + " bytes but data_offsets " +
                          json_excerpt(offsets_json) + " span " + std::to_string(*end - *begin));
    }
    if (*end > data_size) {
      throw bad_input(file, field,
                      "data_offsets " + json_excerpt(offsets_json) + " run past the end of the " +
                          std::to_string(data_size) + "-byte data section");
    }

    if (dtype->dtype) {
      TensorInfo info;
      info.name = name;
      info.dtype = *dtype->dtype;
      info.shape = std::move(shape);
      info.data = data_section() + *begin;
      info.nbytes = static_cast<size_t>(nbytes);
      info.file = file;
      tensors_.push_back(std::move(info));
    } else {
      unsupported_.push_back({name, dtype_name, file});
    }
    // Empty tensors own no bytes and cannot overlap anything.
    if (*begin != *end) ranges.push_back({*begin, *end, printable_name(name)});
  }

  // Two tensors sharing bytes would alias in ways no writer produces: reject them.
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end) {
      throw bad_input(file, "tensor " + ranges[i].name,
                      "data_offsets [" + std::to_string(ranges[i].begin) + ", " +
                          std::to_string(ranges[i].end) + "] overlap those of tensor " +
                          ranges[i - 1].name + " [" + std::to_string(ranges[i - 1].begin) + ", " +
                          std::to_string(ranges[i - 1].end) + "]");
    }
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
}

}  // namespace tb
