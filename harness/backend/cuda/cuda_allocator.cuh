#pragma once
// A caching device allocator: blocks come from size classes (powers of two split in eight, so at
// most 12.5% is wasted) with one free list each. A released block goes back to its list and is
// reused by the next request of its class, so steady-state forwards never call cudaMalloc or
// cudaFree. All work runs on one stream, so a block released while a queued kernel still reads
// it is only handed to kernels queued after that one.
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tb::cuda {

class CachingAllocator : public std::enable_shared_from_this<CachingAllocator> {
 public:
  explicit CachingAllocator(int device) : device_(device) {}
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // At least `bytes` of device memory (256-byte aligned); the block returns to the cache when
  // the last copy of the pointer is dropped. Out of memory: the cache is emptied and the
  // request retried once, then tb::Error (Io) with the sizes.
  std::shared_ptr<void> allocate(size_t bytes);
  size_t bytes_in_use() const { return in_use_; }
  size_t bytes_cached() const { return cached_; }

 private:
  static size_t size_class(size_t bytes);
  void release(void* ptr, size_t size);
  void free_cached();  // cudaFree of every cached block: only when an allocation fails

  int device_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t in_use_ = 0, cached_ = 0;
};

}  // namespace tb::cuda
