#pragma once
// Byte-pair encoding as the Hugging Face `tokenizers` BPE model does it: a piece starts as its
// characters (or their <0xNN> byte tokens with byte_fallback, or unk), then the lowest-ranked
// merge present is applied, leftmost first, until none applies (priority queue, O(n log n), so
// SentencePiece-style pieces thousands of characters long stay fast). Short pieces are cached.
#include <array>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness/tokenizer/token_model.hpp"

namespace tb {

class BpeModel final : public TokenModel {
 public:
  struct Options {
    bool byte_fallback = false;
    int32_t unk = -1;  // -1: unknown characters are dropped (as HF does without unk_token)
    bool fuse_unk = false;
    bool ignore_merges = false;  // a piece that is itself in the vocabulary is taken whole
  };

  BpeModel(Vocab vocab, Options options);

  // Adds the next merge (rank = merges added so far). Returns false when `left`, `right` or
  // their concatenation is not in the vocabulary; the caller reports the field.
  bool add_merge(std::string_view left, std::string_view right);

  void encode(std::string_view piece, std::vector<int32_t>& out) const override;
  const Vocab& vocab() const override { return vocab_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t merged;
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void encode_uncached(std::string_view piece, std::vector<int32_t>& out) const;

  Vocab vocab_;
  Options options_;
  std::array<int32_t, 256> byte_ids_{};  // ids of <0x00>..<0xFF>, -1 when absent
  std::unordered_map<uint64_t, Merge> merges_;

  // Piece -> ids for short pieces; logically const, guarded for concurrent encoders.
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace tb
