#pragma once
// The KV cache on a backend: per layer one K and one V tensor of [slots, capacity, kv_heads,
// head_dim] (f32, bf16 or f16), so each slot's positions are contiguous (the attention kernels read
// them with one stride) and copying a prefix is one copy per layer and tensor.
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/model/model.hpp"

namespace tb {

class DeviceKvCache final : public KvCache {
 public:
  DeviceKvCache(Backend& backend, int layers, int slots, int capacity, int kv_heads, int head_dim,
                DType dtype = DType::F32);

  int num_slots() const override { return static_cast<int>(lengths_.size()); }
  int capacity() const override { return capacity_; }
  int length(int slot) const override;
  void set_length(int slot, int length) override;
  void copy_prefix(int from, int to, int length) override;

  Tensor& keys(int layer) { return k_[static_cast<size_t>(layer)]; }
  Tensor& values(int layer) { return v_[static_cast<size_t>(layer)]; }
  int layers() const { return static_cast<int>(k_.size()); }
  int64_t row_width() const { return row_width_; }

 private:
  void check_slot(int slot) const;

  Backend& backend_;
  int capacity_;
  int64_t row_width_;  // kv_heads * head_dim
  std::vector<Tensor> k_, v_;
  std::vector<int> lengths_;
};

}  // namespace tb
