#include "harness/io/torch_pickle.hpp"

#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "harness/core/error.hpp"
#include "harness/io/json_file.hpp"

namespace tb {
namespace {

using Kind = PickleValue::Kind;

constexpr std::string_view kOrderedDict = "collections.OrderedDict";
constexpr std::string_view kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr std::string_view kStorageTypes[] = {
    "FloatStorage", "HalfStorage",  "BFloat16Storage", "DoubleStorage", "LongStorage",
    "IntStorage",   "ShortStorage", "CharStorage",     "ByteStorage",   "BoolStorage"};

// Deeper than any state dict or Megatron args tree; bounds the result's destructor recursion.
constexpr size_t kMaxDepth = 64;

bool is_storage_type(std::string_view global) {
  if (global.substr(0, 6) != "torch.") return false;
  for (std::string_view s : kStorageTypes) {
    if (global.substr(6) == s) return true;
  }
  return false;
}

class Unpickler {
 public:
  Unpickler(std::string_view bytes, const std::string& where, const UnpicklePolicy& policy)
      : in_(bytes), where_(where), policy_(policy) {}
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // A hostile stream can make a container hold itself (DUP or a memo get, then APPEND or
  // SETITEM), which shared ownership alone would leak. Every value made is also held in made_;
  // here the links of each one the result does not reach are cut, so all of them are freed.
  ~Unpickler() {
    for (const PickleRef& v : made_) {
      if (kept_.count(v.get())) continue;
      v->items.clear();
      v->entries.clear();
      v->state.reset();
    }
  }

  PickleRef run() {
    for (;;) {
      op_at_ = pos_;
      const auto op = static_cast<unsigned char>(byte());
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1 || !marks_.empty())
      fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
    keep_acyclic(stack_.back());
    return stack_.back();
  }

 private:
  PickleRef make(Kind kind) {
    auto v = std::make_shared<PickleValue>();
    v->kind = kind;
    made_.push_back(v);
    return v;
  }

  // Marks what `root` reaches as kept, refusing a value that contains itself or a tree deeper
  // than kMaxDepth. Iterative: the depth is what is being checked.
  void keep_acyclic(const PickleRef& root) {
    enum class Mark { Open, Done };
    std::unordered_map<const PickleValue*, Mark> mark;
    struct Frame {
      const PickleValue* value;
      std::vector<const PickleValue*> children;
      size_t next = 0;
    };
    auto children_of = [](const PickleValue* v) {
      std::vector<const PickleValue*> out;
      for (const auto& item : v->items) out.push_back(item.get());
      for (const auto& [k, x] : v->entries) {
        out.push_back(k.get());
        out.push_back(x.get());
      }
      if (v->state) out.push_back(v->state.get());
      return out;
    };
    std::vector<Frame> path;
    mark[root.get()] = Mark::Open;
    path.push_back({root.get(), children_of(root.get())});
    while (!path.empty()) {
      Frame& f = path.back();
      if (f.next == f.children.size()) {
        mark[f.value] = Mark::Done;
        path.pop_back();
        continue;
      }
      const PickleValue* child = f.children[f.next++];
      const auto it = mark.find(child);
      if (it != mark.end()) {
        if (it->second == Mark::Open) fail("a value contains itself (a state dict has no cycles)");
        continue;  // shared, already checked
      }
      if (path.size() >= kMaxDepth)
        fail("values nested more than " + std::to_string(kMaxDepth) + " deep");
      mark[child] = Mark::Open;
      path.push_back({child, children_of(child)});
    }
    for (const auto& [v, m] : mark) kept_.insert(v);
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw bad_input(where_, "pickle", what + " (at byte " + std::to_string(op_at_) + ")");
  }

  char byte() {
    if (pos_ >= in_.size()) fail("truncated stream");
    return in_[pos_++];
  }
  std::string_view take(uint64_t n) {
    if (n > in_.size() - pos_) fail("truncated stream");
    const std::string_view s = in_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  uint64_t le(int n) {
    const std::string_view s = take(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
      v = (v << 8) | static_cast<unsigned char>(s[static_cast<size_t>(i)]);
    return v;
  }
  std::string_view line() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail("truncated stream");
    const std::string_view s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  PickleRef pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    PickleRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PickleRef& top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // The values pushed since the last MARK, which is removed.
  std::vector<PickleRef> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t at = marks_.back();
    marks_.pop_back();
    std::vector<PickleRef> out(std::make_move_iterator(stack_.begin() + static_cast<long>(at)),
                               std::make_move_iterator(stack_.end()));
    stack_.resize(at);
    return out;
  }
  void push(PickleRef v) { stack_.push_back(std::move(v)); }

  void push_int(int64_t i) {
    auto v = make(Kind::Int);
    v->integer = i;
    push(std::move(v));
  }
  void push_text(Kind kind, std::string_view s) {
    auto v = make(kind);
    v->text = std::string(s);
    push(std::move(v));
  }
  void push_tuple(std::vector<PickleRef> items) {
    auto v = make(Kind::Tuple);
    v->items = std::move(items);
    push(std::move(v));
  }
  void memo_put(uint64_t key) { memo_[key] = top(); }
  void memo_get(uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo key " + std::to_string(key) + " is not defined");
    push(it->second);
  }

  // Python's little-endian two's-complement long of n bytes, when it fits in 64 bits.
  void push_long(uint64_t n) {
    if (n > 8) fail("integer of " + std::to_string(n) + " bytes does not fit in 64 bits");
    const std::string_view s = take(n);
    uint64_t v = 0;
    for (size_t i = s.size(); i-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[i]);
    if (n > 0 && n < 8 && (static_cast<unsigned char>(s[n - 1]) & 0x80))
      v |= ~uint64_t{0} << (8 * n);
    push_int(static_cast<int64_t>(v));
  }

  void global(std::string name) {
    const bool allowed = name == kOrderedDict || name == kRebuildTensor || is_storage_type(name) ||
                         policy_.is_plain_data(name);
    if (!allowed) {
      fail("global " + printable_name(name) +
           " is not allowed (a state dict holds only tensors, OrderedDict and storage types; "
           "nothing is imported or run)");
    }
    push_text(Kind::Global, name);
  }

  void setitems(PickleValue& dict, std::vector<PickleRef>& kv) {
    if (!dict.is(Kind::Dict)) fail("SETITEM(S) on a value that is not a dict");
    if (kv.size() % 2 != 0) fail("SETITEMS with an odd number of values");
    for (size_t i = 0; i < kv.size(); i += 2) {
      bool replaced = false;
      for (auto& [k, v] : dict.entries) {
        if (k->is(Kind::String) && kv[i]->is(Kind::String) && k->text == kv[i]->text) {
          v = kv[i + 1];
          replaced = true;
        }
      }
      if (!replaced) dict.entries.emplace_back(kv[i], kv[i + 1]);
    }
  }

  int64_t as_int(const PickleRef& v, const char* what) const {
    if (!v->is(Kind::Int)) fail(std::string(what) + " must be an integer");
    return v->integer;
  }
  std::vector<int64_t> as_ints(const PickleRef& v, const char* what) const {
    if (!v->is(Kind::Tuple)) fail(std::string(what) + " must be a tuple");
    std::vector<int64_t> out;
    for (const auto& item : v->items) out.push_back(as_int(item, what));
    return out;
  }

  // Interprets REDUCE / NEWOBJ of an accepted global; nothing is called.
  PickleRef call(const PickleRef& callable, const PickleRef& args) {
    if (!callable->is(Kind::Global)) fail("REDUCE of a value that is not an accepted global");
    if (!args->is(Kind::Tuple)) fail("REDUCE arguments must be a tuple");
    const std::string& name = callable->text;
    if (name == kOrderedDict) {
      auto dict = make(Kind::Dict);
      if (!args->items.empty()) fail("OrderedDict with constructor arguments");
      return dict;
    }
    if (name == kRebuildTensor) {
      const auto& a = args->items;
      if (a.size() < 4 || !a[0]->is(Kind::Storage))
        fail("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
      auto t = make(Kind::Tensor);
      t->tensor = a[0]->tensor;
      t->tensor.offset = as_int(a[1], "_rebuild_tensor_v2 storage_offset");
      t->tensor.shape = as_ints(a[2], "_rebuild_tensor_v2 size");
      t->tensor.stride = as_ints(a[3], "_rebuild_tensor_v2 stride");
      if (t->tensor.shape.size() != t->tensor.stride.size())
        fail("_rebuild_tensor_v2 size and stride differ in length");
      return t;
    }
    if (policy_.is_plain_data(name)) {
      auto obj = make(Kind::Object);
      obj->text = name;
      obj->items = args->items;
      return obj;
    }
    fail("global " + printable_name(name) + " cannot be called");
  }

  // BINPERSID: torch's ('storage', storage_type, key, location, numel).
  PickleRef persistent(const PickleRef& pid) {
    const auto& a = pid->items;
    if (!pid->is(Kind::Tuple) || a.size() != 5 || !a[0]->is(Kind::String) ||
        a[0]->text != "storage" || !a[1]->is(Kind::Global) || !is_storage_type(a[1]->text) ||
        !a[2]->is(Kind::String)) {
      fail("persistent id is not a torch storage ('storage', type, key, location, numel)");
    }
    auto s = make(Kind::Storage);
    s->tensor.storage_type = a[1]->text.substr(6);
    s->tensor.storage_key = a[2]->text;
    s->tensor.storage_numel = as_int(a[4], "storage numel");
    if (s->tensor.storage_numel < 0) fail("negative storage numel");
    return s;
  }

  void step(unsigned char op) {
    switch (op) {
      case 0x80:
        byte();
        break;  // PROTO
      case 0x95:
        le(8);
        break;  // FRAME: the stream is read whole anyway
      case '(':
        marks_.push_back(stack_.size());
        break;
      case '0':
        pop();
        break;
      case '1':
        pop_mark();
        break;
      case '2':
        push(top());
        break;
      case 'N':
        push(make(Kind::None));
        break;
      case 0x88:
      case 0x89: {
        auto v = make(Kind::Bool);
        v->boolean = op == 0x88;
        push(std::move(v));
        break;
      }
      case 'J':
        push_int(static_cast<int32_t>(le(4)));
        break;
      case 'K':
        push_int(static_cast<int64_t>(le(1)));
        break;
      case 'M':
        push_int(static_cast<int64_t>(le(2)));
        break;
      case 0x8a:
        push_long(le(1));
        break;
      case 0x8b:
        push_long(le(4));
        break;
      case 'G': {
        const uint64_t bits = [&] {
          const std::string_view s = take(8);
          uint64_t v = 0;
          for (char c : s) v = (v << 8) | static_cast<unsigned char>(c);  // big-endian
          return v;
        }();
        auto v = make(Kind::Float);
        std::memcpy(&v->real, &bits, sizeof bits);
        push(std::move(v));
        break;
      }
      case 'X':
        push_text(Kind::String, take(le(4)));
        break;
      case 0x8c:
        push_text(Kind::String, take(le(1)));
        break;
      case 0x8d:
        push_text(Kind::String, take(le(8)));
        break;
      case 'T':
        push_text(Kind::Bytes, take(le(4)));
        break;
      case 'U':
        push_text(Kind::Bytes, take(le(1)));
        break;
      case 'B':
        push_text(Kind::Bytes, take(le(4)));
        break;
      case 'C':
        push_text(Kind::Bytes, take(le(1)));
        break;
      case 0x8e:
        push_text(Kind::Bytes, take(le(8)));
        break;
      case ')':
        push_tuple({});
        break;
      case 't':
        push_tuple(pop_mark());
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        std::vector<PickleRef> items(static_cast<size_t>(op - 0x84));
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        push_tuple(std::move(items));
        break;
      }
      case ']':
        push(make(Kind::List));
        break;
      case 'l': {
        auto v = make(Kind::List);
        v->items = pop_mark();
        push(std::move(v));
        break;
      }
      case 'a': {
        PickleRef item = pop();
        PickleRef& list = top();
        if (!list->is(Kind::List)) fail("APPEND to a value that is not a list");
        list->items.push_back(std::move(item));
        break;
      }
      case 'e': {
        std::vector<PickleRef> items = pop_mark();
        PickleRef& list = top();
        if (!list->is(Kind::List)) fail("APPENDS to a value that is not a list");
        for (auto& item : items) list->items.push_back(std::move(item));
        break;
      }
      case '}':
        push(make(Kind::Dict));
        break;
      case 'd': {
        std::vector<PickleRef> kv = pop_mark();
        auto dict = make(Kind::Dict);
        setitems(*dict, kv);
        push(std::move(dict));
        break;
      }
      case 's': {
        std::vector<PickleRef> kv(2);
        kv[1] = pop();
        kv[0] = pop();
        setitems(*top(), kv);
        break;
      }
      case 'u': {
        std::vector<PickleRef> kv = pop_mark();
        setitems(*top(), kv);
        break;
      }
      case 'q':
        memo_put(le(1));
        break;
      case 'r':
        memo_put(le(4));
        break;
      case 0x94:
        memo_put(memo_.size());
        break;
      case 'h':
        memo_get(le(1));
        break;
      case 'j':
        memo_get(le(4));
        break;
      case 'p':
        memo_put(parse_decimal(line()));
        break;
      case 'g':
        memo_get(parse_decimal(line()));
        break;
      case 'c': {
        const std::string module(line());
        const std::string name(line());
        global(module + "." + name);
        break;
      }
      case 0x93: {
        PickleRef name = pop();
        PickleRef module = pop();
        if (!module->is(Kind::String) || !name->is(Kind::String))
          fail("STACK_GLOBAL of non-strings");
        global(module->text + "." + name->text);
        break;
      }
      case 'R':
      case 0x81: {  // REDUCE, NEWOBJ (cls, args)
        PickleRef args = pop();
        PickleRef callable = pop();
        push(call(callable, args));
        break;
      }
      case 'b': {
        PickleRef state = pop();
        PickleRef& target = top();
        // OrderedDict state is the state dict's _metadata attribute: version numbers only.
        if (target->is(Kind::Dict)) break;
        if (!target->is(Kind::Object)) fail("BUILD on a value that is not an object");
        if (state->is(Kind::Dict)) {
          for (auto& kv : state->entries) target->entries.push_back(kv);
        } else {
          target->state = state;
        }
        break;
      }
      case 'Q':
        push(persistent(pop()));
        break;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("opcode ") + hex + " is not allowed in a state dict pickle");
      }
    }
  }

  uint64_t parse_decimal(std::string_view s) const {
    if (s.empty() || s.size() > 18) fail("bad memo key");
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') fail("bad memo key");
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  }

  std::string_view in_;
  const std::string& where_;
  const UnpicklePolicy& policy_;
  size_t pos_ = 0;
  size_t op_at_ = 0;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PickleRef> memo_;
  std::vector<PickleRef> made_;
  std::unordered_set<const PickleValue*> kept_;
};

}  // namespace

bool UnpicklePolicy::is_plain_data(const std::string& global) const {
  if (plain_data_classes.count(global)) return true;
  for (const std::string& prefix : plain_data_prefixes) {
    if (global.starts_with(prefix)) return true;
  }
  return false;
}

const PickleValue* PickleValue::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k->is(Kind::String) && k->text == key) return v.get();
  }
  return nullptr;
}

PickleRef unpickle(std::string_view bytes, const std::string& where, const UnpicklePolicy& policy) {
  return Unpickler(bytes, where, policy).run();
}

}  // namespace tb
