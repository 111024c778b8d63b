#include "harness/tokenizer/bpe_model.hpp"

#include <cstdio>
#include <mutex>
#include <queue>

#include "harness/core/error.hpp"
#include "harness/tokenizer/json_fields.hpp"
#include "harness/tokenizer/utf8.hpp"

namespace tb {
namespace {

constexpr size_t kCacheMaxPiece = 64;         // bytes; longer pieces are rarely repeated
constexpr size_t kCacheMaxEntries = 1 << 18;  // then stop inserting (as HF does)

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  bool alive;
};

struct Candidate {
  int32_t rank;
  int32_t pos;
  int32_t merged;
  // Lowest rank first, then leftmost: the order HF's BinaryHeap pops them.
  bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

BpeModel::BpeModel(Vocab vocab, Options options) : vocab_(std::move(vocab)), options_(options) {
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    byte_ids_[static_cast<size_t>(b)] = vocab_.find(name);
  }
}

bool BpeModel::add_merge(std::string_view left, std::string_view right) {
  const int32_t a = vocab_.find(left);
  const int32_t b = vocab_.find(right);
  std::string joined(left);
  joined += right;
  const int32_t merged = vocab_.find(joined);
  if (a < 0 || b < 0 || merged < 0) return false;
  // A repeated pair keeps its first (lowest) rank, as in HF.
  merges_.emplace(key(a, b), Merge{static_cast<int32_t>(merges_.size()), merged});
  return true;
}

void BpeModel::encode(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  if (options_.ignore_merges) {
    const int32_t whole = vocab_.find(piece);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  if (piece.size() > kCacheMaxPiece) {
    encode_uncached(piece, out);
    return;
  }
  {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(piece);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  encode_uncached(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  std::unique_lock lock(cache_mutex_);
  if (cache_.size() < kCacheMaxEntries) cache_.emplace(std::string(piece), std::move(ids));
}

void BpeModel::encode_uncached(std::string_view piece, std::vector<int32_t>& out) const {
  std::vector<Symbol> symbols;
  symbols.reserve(piece.size());
  bool last_is_unk = false;
  auto push = [&](int32_t id) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id, n - 1, n + 1, true});
  };
  for (size_t i = 0; i < piece.size();) {
    const size_t n = utf8::char_len_at(piece, i);
    const std::string_view ch = piece.substr(i, n);
    i += n;
    const int32_t id = vocab_.find(ch);
    if (id >= 0) {
      push(id);
      last_is_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (char c : ch) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all) {
        for (char c : ch) push(byte_ids_[static_cast<unsigned char>(c)]);
        last_is_unk = false;
        continue;
      }
    }
    if (options_.unk < 0) continue;
    if (!(options_.fuse_unk && last_is_unk)) push(options_.unk);
    last_is_unk = true;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::vector<Candidate> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Candidate> queue(std::less<Candidate>(), std::move(storage));
  auto consider = [&](int32_t pos) {
    const Symbol& s = symbols[static_cast<size_t>(pos)];
    if (s.next < 0) return;
    auto it = merges_.find(key(s.id, symbols[static_cast<size_t>(s.next)].id));
    if (it != merges_.end()) queue.push(Candidate{it->second.rank, pos, it->second.merged});
  };
  for (int32_t p = 0; p + 1 < static_cast<int32_t>(symbols.size()); ++p) consider(p);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[static_cast<size_t>(top.pos)];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    // Stale entry: one side has been merged into something else since it was queued.
    auto it = merges_.find(key(left.id, right.id));
    if (it == merges_.end() || it->second.merged != top.merged) continue;
    left.id = top.merged;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(top.pos);
  }
  for (int32_t p = 0; p >= 0; p = symbols[static_cast<size_t>(p)].next) {
    out.push_back(symbols[static_cast<size_t>(p)].id);
  }
}

void WordLevelModel::encode(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  const int32_t id = vocab_.find(piece);
  if (id >= 0) {
    out.push_back(id);
  } else if (unk_ >= 0) {
    out.push_back(unk_);
  } else {
    // The piece is text being encoded: quoted with its control characters escaped, so that the
    // message stays on one line (found by fuzz_tokenizer_json: a piece holding newlines).
    throw Error(ErrorKind::BadInput, "tokenizer: WordLevel: '" + json_fields::printable(piece) +
                                         "' is not in the vocabulary and there is no unk_token");
  }
}

}  // namespace tb
