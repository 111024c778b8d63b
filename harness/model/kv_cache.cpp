#include "harness/model/kv_cache.hpp"

#include <string>

#include "harness/core/error.hpp"

namespace tb {

DeviceKvCache::DeviceKvCache(Backend& backend, int layers, int slots, int capacity, int kv_heads,
                             int head_dim, DType dtype)
    : backend_(backend), capacity_(capacity), row_width_(int64_t{kv_heads} * head_dim) {
  if (slots <= 0 || capacity <= 0) {
    throw Error(ErrorKind::BadInput, "KV cache: " + std::to_string(slots) + " slots of " +
                                         std::to_string(capacity) +
                                         " positions: both must be positive");
  }
  for (int l = 0; l < layers; ++l) {
    k_.push_back(backend.alloc({slots, capacity, kv_heads, head_dim}, dtype));
    v_.push_back(backend.alloc({slots, capacity, kv_heads, head_dim}, dtype));
  }
  lengths_.assign(static_cast<size_t>(slots), 0);
}

void DeviceKvCache::check_slot(int slot) const {
  if (slot < 0 || slot >= num_slots()) {
    throw Error(ErrorKind::Internal, "KV cache: slot " + std::to_string(slot) + " outside [0, " +
                                         std::to_string(num_slots()) + ")");
  }
}

int DeviceKvCache::length(int slot) const {
  check_slot(slot);
  return lengths_[static_cast<size_t>(slot)];
}

void DeviceKvCache::set_length(int slot, int length) {
  check_slot(slot);
  if (length < 0 || length > capacity_) {
    throw Error(ErrorKind::BadInput, "KV cache: length " + std::to_string(length) +
                                         " outside [0, " + std::to_string(capacity_) + "]");
  }
  lengths_[static_cast<size_t>(slot)] = length;
}

void DeviceKvCache::copy_prefix(int from, int to, int length) {
  check_slot(from);
  check_slot(to);
  if (length < 0 || length > lengths_[static_cast<size_t>(from)]) {
    throw Error(ErrorKind::Internal, "KV cache: copy of " + std::to_string(length) +
                                         " positions from a slot holding " +
                                         std::to_string(lengths_[static_cast<size_t>(from)]));
  }
  if (from != to) {
    const int64_t slot_size = int64_t{capacity_} * row_width_, count = length * row_width_;
    for (size_t l = 0; l < k_.size(); ++l) {
      backend_.copy(k_[l], from * slot_size, k_[l], to * slot_size, count);
      backend_.copy(v_[l], from * slot_size, v_[l], to * slot_size, count);
    }
  }
  lengths_[static_cast<size_t>(to)] = length;
}

}  // namespace tb
