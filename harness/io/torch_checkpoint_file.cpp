#include "harness/io/torch_checkpoint_file.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <optional>

#include "harness/core/error.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

using Kind = PickleValue::Kind;

constexpr int kMaxNesting = 32;

// torch's typed storages, their element width and the safetensors name of their dtype.
struct StorageDType {
  std::string_view storage;
  size_t bytes;
  std::string_view name;
  std::optional<DType> dtype;
};
constexpr std::array<StorageDType, 10> kStorages{{
    {"FloatStorage", 4, "F32", DType::F32},
    {"HalfStorage", 2, "F16", DType::F16},
    {"BFloat16Storage", 2, "BF16", DType::BF16},
    {"DoubleStorage", 8, "F64", std::nullopt},
    {"LongStorage", 8, "I64", std::nullopt},
    {"IntStorage", 4, "I32", std::nullopt},
    {"ShortStorage", 2, "I16", std::nullopt},
    {"CharStorage", 1, "I8", std::nullopt},
    {"ByteStorage", 1, "U8", std::nullopt},
    {"BoolStorage", 1, "BOOL", std::nullopt},
}};

std::string value_kind_name(const PickleValue& v) {
  switch (v.kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "class";
    case Kind::Storage:
      return "storage";
    case Kind::Tensor:
      return "tensor";
    case Kind::Object:
      return v.text;
  }
  return "value";
}

// The pre-1.6 torch.save format is a bare pickle stream (it starts with PROTO, 0x80).
bool looks_like_legacy_torch(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char first = 0;
  return in.get(first) && static_cast<unsigned char>(first) == 0x80;
}

}  // namespace

std::shared_ptr<const TorchCheckpointFile> TorchCheckpointFile::open(
    const std::filesystem::path& path, const UnpicklePolicy& policy,
    const std::string& state_dict_key) {
  const std::string file = path.string();
  std::shared_ptr<TorchCheckpointFile> out(new TorchCheckpointFile());
  try {
    out->archive_ = ZipArchive::open(path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::BadInput && looks_like_legacy_torch(path)) {
      throw Error(ErrorKind::Unsupported,
                  file +
                      ": the legacy (before PyTorch 1.6) torch.save format is not supported; "
                      "load and save it again with a recent torch");
    }
    throw;
  }
  // torch.save writes "<archive>/data.pkl" next to "<archive>/data/<storage key>".
  for (const std::string& name : out->archive_->names()) {
    const size_t slash = name.find('/');
    if (slash == std::string::npos || name.substr(slash + 1) != "data.pkl") continue;
    if (!out->pickle_entry_.empty()) throw bad_input(file, "zip", "more than one data.pkl");
    out->pickle_entry_ = name;
    out->prefix_ = name.substr(0, slash + 1);
  }
  if (out->pickle_entry_.empty()) {
    throw bad_input(file, "zip", "no <archive>/data.pkl entry: not a torch.save file");
  }
  const std::string byteorder = out->prefix_ + "byteorder";
  if (out->archive_->has(byteorder) && out->archive_->bytes(byteorder) != "little") {
    throw Error(ErrorKind::Unsupported, file + ": entry " + byteorder +
                                            ": only little-endian "
                                            "checkpoints are supported");
  }
  const std::string where = file + ": entry " + printable_name(out->pickle_entry_);
  out->root_ = unpickle(out->archive_->bytes(out->pickle_entry_), where, policy);

  const PickleValue* dict = out->root_.get();
  if (!state_dict_key.empty()) {
    dict = dict->is(Kind::Dict) ? dict->find(state_dict_key) : nullptr;
    if (dict == nullptr) throw bad_input(where, printable_name(state_dict_key), "missing");
  }
  if (!dict->is(Kind::Dict)) {
    throw bad_input(where, state_dict_key.empty() ? "state dict" : printable_name(state_dict_key),
                    "must be a dict of tensors, found " + value_kind_name(*dict));
  }
  out->add_tensors(*dict, "", where, 0);
  std::sort(out->tensors_.begin(), out->tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  return out;
}

void TorchCheckpointFile::add_tensors(const PickleValue& dict, const std::string& prefix,
                                      const std::string& where, int depth) {
  // A pickle can make a dict contain itself; real state dicts nest a few levels (Megatron's).
  if (depth > kMaxNesting) {
    throw bad_input(where, "state dict",
                    "dicts nested more than " + std::to_string(kMaxNesting) + " deep");
  }
  for (const auto& [key, value] : dict.entries) {
    if (!key->is(Kind::String)) {
      throw bad_input(where, "state dict", "a key is a " + value_kind_name(*key) + ", not a str");
    }
    const std::string name = prefix + key->text;
    if (value->is(Kind::Tensor)) {
      add_tensor(name, value->tensor, where);
    } else if (value->is(Kind::Dict)) {
      add_tensors(*value, name + ".", where, depth + 1);
    } else {
      unsupported_.push_back({name, value_kind_name(*value), path().string()});
    }
  }
}

void TorchCheckpointFile::add_tensor(const std::string& name, const PickleTensor& t,
                                     const std::string& where) {
  const std::string field = "tensor " + printable_name(name);
  const auto kind = std::find_if(kStorages.begin(), kStorages.end(), [&](const StorageDType& s) {
    return s.storage == t.storage_type;
  });
  if (kind == kStorages.end()) throw bad_input(where, field, "unknown storage type");
  const std::string entry = prefix_ + "data/" + t.storage_key;
  if (!archive_->has(entry)) {
    throw bad_input(
        where, field,
        "storage " + printable_name(t.storage_key) + " has no entry " + printable_name(entry));
  }
  const std::string_view storage = archive_->bytes(entry);
  const auto numel = static_cast<uint64_t>(t.storage_numel);
  if (numel > std::numeric_limits<uint64_t>::max() / kind->bytes ||
      numel * kind->bytes != storage.size()) {
    throw bad_input(where, field,
                    "storage " + printable_name(t.storage_key) + " holds " +
                        std::to_string(storage.size()) + " bytes, not " +
                        std::to_string(t.storage_numel) + " elements");
  }
  // Only row-major views are mapped; torch.save of a state dict writes them so.
  Shape shape;
  uint64_t count = 1;
  int64_t expected_stride = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    if (t.shape[d] < 0) throw bad_input(where, field, "negative dimension");
    if (t.shape[d] != 1 && t.stride[d] != expected_stride) {
      throw Error(ErrorKind::Unsupported,
                  path().string() + ": " + field + ": non-contiguous tensors are not supported");
    }
    if (t.shape[d] != 0 &&
        count > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(t.shape[d])) {
      throw bad_input(where, field, "too many elements");
    }
    count *= static_cast<uint64_t>(t.shape[d]);
    expected_stride *= std::max<int64_t>(t.shape[d], 1);
  }
  for (int64_t dim : t.shape) shape.push_back(dim);
  if (t.offset < 0 || static_cast<uint64_t>(t.offset) > numel ||
      count > numel - static_cast<uint64_t>(t.offset)) {
    throw bad_input(where, field,
                    "extends past the end of storage " + printable_name(t.storage_key));
  }
  if (!kind->dtype) {
    unsupported_.push_back({name, std::string(kind->name), path().string()});
    return;
  }
  TensorInfo info;
  info.name = name;
  info.dtype = *kind->dtype;
  info.shape = std::move(shape);
  info.data = reinterpret_cast<const std::byte*>(storage.data()) +
              static_cast<size_t>(t.offset) * kind->bytes;
  info.nbytes = static_cast<size_t>(count) * kind->bytes;
  info.file = path().string();
  tensors_.push_back(std::move(info));
}

}  // namespace tb
