#include "harness/io/torch_pickle.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
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
// A dict with more string keys than this finds them through a hash index (SETITEMS of 300k keys
// compared each with every key before it); smaller ones compare in place.
constexpr size_t kIndexedDict = 32;
// The first sweep of dropped containers happens at this many; then whenever they double.
constexpr size_t kFirstSweep = 1024;

bool is_container(Kind k) {
  return k == Kind::List || k == Kind::Dict || k == Kind::Object;
}

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
      : in_(bytes), where_(where), policy_(policy) {
    none_ = std::make_shared<PickleValue>();
    for (PickleRef* b : {&true_, &false_}) {
      *b = std::make_shared<PickleValue>();
      (*b)->kind = Kind::Bool;
    }
    true_->boolean = true;
  }
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // A hostile stream can make a container hold itself (DUP or a memo get, then APPEND or
  // SETITEM), which shared ownership alone would leak. Every container made (list, dict, object:
  // every cycle passes through one) is also held in made_, and here the links of each one the
  // result does not reach are cut, so all of them are freed. Other values are never in made_:
  // one dropped from the stack is freed at once.
  ~Unpickler() {
    dict_index_.clear();
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
      ++stats_.work;
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1 || !marks_.empty())
      fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
    keep_acyclic(stack_.back());
    return stack_.back();
  }

  const UnpickleStats& stats() const { return stats_; }

 private:
  PickleRef make(Kind kind) {
    if (++stats_.values > limits::kPickleValues) {
      fail("more than " + std::to_string(limits::kPickleValues) +
           " values (a state dict of 500k tensors makes fewer)");
    }
    auto v = std::make_shared<PickleValue>();
    v->kind = kind;
    if (is_container(kind)) {
      made_.push_back(v);
      if (made_.size() >= sweep_at_) sweep();
      stats_.peak_retained = std::max<uint64_t>(stats_.peak_retained, made_.size());
    }
    return v;
  }

  // Frees the containers only made_ still holds (dropped, in no cycle): without it every list
  // or dict made stayed until the end (`]0` repeated 20M times). Amortized: made_ has at least
  // doubled since the last sweep.
  void sweep() {
    stats_.work += made_.size();
    std::erase_if(made_, [](const PickleRef& v) { return v.use_count() == 1; });
    sweep_at_ = std::max(kFirstSweep, 2 * made_.size());
  }

  // Marks what `root` reaches as kept, refusing a value that contains itself, a tree deeper
  // than kMaxDepth, or a result whose expansion (a value counted once per reference, as the
  // readers walk it) holds more values than the stream has bytes: without sharing every
  // reference costs at least one byte, so only containers shared by containers exceed it
  // (24 levels of dicts holding one child twice name 2^24 tensors). Iterative: the depth is
  // what is being checked.
  void keep_acyclic(const PickleRef& root) {
    struct Seen {
      bool done = false;
      uint64_t expanded = 0;  // values under it, itself included, saturating past the limit
    };
    const uint64_t limit = std::max<uint64_t>(in_.size(), 1);
    std::unordered_map<const PickleValue*, Seen> seen;
    struct Frame {
      const PickleValue* value;
      std::vector<const PickleValue*> children;
      size_t next = 0;
      uint64_t expanded = 1;
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
    auto add = [&](uint64_t& to, uint64_t n) { to = std::min(to + n, limit + 1); };
    std::vector<Frame> path;
    seen[root.get()] = {};
    path.push_back({root.get(), children_of(root.get())});
    while (!path.empty()) {
      Frame& f = path.back();
      ++stats_.work;
      if (f.next == f.children.size()) {
        seen[f.value] = {true, f.expanded};
        const uint64_t n = f.expanded;
        path.pop_back();
        if (!path.empty()) add(path.back().expanded, n);
        continue;
      }
      const PickleValue* child = f.children[f.next++];
      const auto it = seen.find(child);
      if (it != seen.end()) {
        if (!it->second.done) fail("a value contains itself (a state dict has no cycles)");
        add(f.expanded, it->second.expanded);  // shared, already checked
        continue;
      }
      if (path.size() >= kMaxDepth)
        fail("values nested more than " + std::to_string(kMaxDepth) + " deep");
      seen[child] = {};
      path.push_back({child, children_of(child)});
    }
    stats_.result_values = seen[root.get()].expanded;
    if (stats_.result_values > limit) {
      fail("the result holds more values than the stream has bytes (" + std::to_string(in_.size()) +
           "): containers shared by containers multiply what it names (a state dict names each "
           "tensor once)");
    }
    for (const auto& [v, m] : seen) kept_.insert(v);
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
    stats_.work += stack_.size() - at;
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

  // Python's dict[key] = value for each pair: a str key already there is replaced in place, any
  // other is appended. Linear in the pairs: a large dict finds its keys through dict_index_.
  void setitems(const PickleRef& dict, std::vector<PickleRef>& kv) {
    if (!dict->is(Kind::Dict)) fail("SETITEM(S) on a value that is not a dict");
    if (kv.size() % 2 != 0) fail("SETITEMS with an odd number of values");
    auto& entries = dict->entries;
    for (size_t i = 0; i < kv.size(); i += 2) {
      ++stats_.work;
      if (!kv[i]->is(Kind::String)) {
        entries.emplace_back(kv[i], kv[i + 1]);
        continue;
      }
      const auto indexed = dict_index_.find(dict.get());
      if (indexed == dict_index_.end()) {
        bool replaced = false;
        for (auto& [k, v] : entries) {
          ++stats_.work;
          if (k->is(Kind::String) && k->text == kv[i]->text) {
            v = kv[i + 1];
            replaced = true;
            break;
          }
        }
        if (replaced) continue;
        entries.emplace_back(kv[i], kv[i + 1]);
        if (entries.size() > kIndexedDict) {
          // The index holds the dict, so that its address names it while the index lives.
          auto& index = dict_index_[dict.get()];
          index.owner = dict;
          for (size_t e = 0; e < entries.size(); ++e) {
            ++stats_.work;
            if (entries[e].first->is(Kind::String)) index.at.emplace(entries[e].first->text, e);
          }
        }
        continue;
      }
      auto& at = indexed->second.at;
      const auto [it, added] = at.emplace(kv[i]->text, entries.size());
      if (added) {
        entries.emplace_back(kv[i], kv[i + 1]);
      } else {
        entries[it->second].second = kv[i + 1];
      }
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
      case 'N':  // None, True and False are shared: they hold nothing and are never changed
        push(none_);
        break;
      case 0x88:
      case 0x89:
        push(op == 0x88 ? true_ : false_);
        break;
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
        setitems(dict, kv);
        push(std::move(dict));
        break;
      }
      case 's': {
        std::vector<PickleRef> kv(2);
        kv[1] = pop();
        kv[0] = pop();
        setitems(top(), kv);
        break;
      }
      case 'u': {
        std::vector<PickleRef> kv = pop_mark();
        setitems(top(), kv);
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
          stats_.work += state->entries.size();
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
  size_t sweep_at_ = kFirstSweep;
  std::unordered_set<const PickleValue*> kept_;
  struct DictIndex {
    PickleRef owner;
    std::unordered_map<std::string, size_t> at;  // str key -> its entry
  };
  std::unordered_map<const PickleValue*, DictIndex> dict_index_;
  PickleRef none_, true_, false_;
  UnpickleStats stats_;
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

PickleRef unpickle(std::string_view bytes, const std::string& where, const UnpicklePolicy& policy,
                   UnpickleStats* stats) {
  Unpickler unpickler(bytes, where, policy);
  struct Report {  // the stats of a refused stream too
    const Unpickler& from;
    UnpickleStats* to;
    ~Report() {
      if (to != nullptr) *to = from.stats();
    }
  } report{unpickler, stats};
  return unpickler.run();
}

}  // namespace tb
