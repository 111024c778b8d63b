#pragma once
// A restricted unpickler for the data.pkl of torch.save files. It builds a tree of plain values
// and never imports or calls anything: the only globals it accepts are the few that torch.save
// of a state dict writes (collections.OrderedDict, torch._utils._rebuild_tensor_v2, the typed
// storage classes), each interpreted by this code, plus, when the caller allows them, named
// "plain data" classes (argparse.Namespace in Megatron-LM checkpoints) whose instances become
// inert Object values holding their constructor arguments and state. Any other global is refused
// with BadInput naming it, before anything after it in the stream is read.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tb {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

// A torch.Tensor as _rebuild_tensor_v2 describes it: a view of one storage.
struct PickleTensor {
  std::string storage_key;   // the storage's file name under <archive>/data/
  std::string storage_type;  // "FloatStorage", "HalfStorage", ...
  int64_t storage_numel = 0;
  int64_t offset = 0;  // in elements
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
};

struct PickleValue {
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    String,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    Storage,
    Tensor,
    Object
  };
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;              // String, Bytes; Global and Object: "module.name"
  std::vector<PickleRef> items;  // Tuple, List; Object: its arguments
  std::vector<std::pair<PickleRef, PickleRef>> entries;  // Dict; Object: its state if a dict
  PickleRef state;                                       // Object: BUILD state otherwise
  PickleTensor tensor;                                   // Tensor; Storage (key, type, numel)

  bool is(Kind k) const { return kind == k; }
  // The Dict entry with this string key, or nullptr.
  const PickleValue* find(std::string_view key) const;
};

struct UnpicklePolicy {
  // Globals, as "module.name", whose instances are kept as inert Object values.
  std::set<std::string> plain_data_classes;
  // Module prefixes ("numpy.") whose every global is plain data in the same way.
  std::vector<std::string> plain_data_prefixes;

  bool is_plain_data(const std::string& global) const;
};

// What one unpickle did, for tests that check its growth on large inputs without timing it.
struct UnpickleStats {
  uint64_t work = 0;           // opcodes, values moved, dict lookups, tree nodes visited
  uint64_t values = 0;         // values made (None, True and False are shared, not made)
  uint64_t peak_retained = 0;  // the most containers held at once for the cycle check
  uint64_t result_values = 0;  // the result's values, a shared one counted per reference
};

// Unpickles `bytes` (protocols 0-5, the opcodes torch.save emits and the plain ones around them).
// `where` names the stream in messages ("FILE: entry archive/data.pkl"). Throws tb::Error
// BadInput: "WHERE: global os.system is not allowed ...", or a malformed-stream message with
// the byte offset.
//
// Work and memory are bounded by the input: SETITEM(S) find a key by hashing, a stream makes at
// most limits::kPickleValues values, a value dropped from the stack is freed at once (or, for a
// container that may hold itself, at the next sweep), and the result, expanded as its readers
// walk it (a value shared by two containers counted twice), may not hold more values than the
// stream has bytes: dicts that share children cannot name 2^24 tensors from 1.7 KB.
PickleRef unpickle(std::string_view bytes, const std::string& where,
                   const UnpicklePolicy& policy = {}, UnpickleStats* stats = nullptr);

}  // namespace tb
