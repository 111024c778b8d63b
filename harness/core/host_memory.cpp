#include "harness/core/host_memory.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace tb {

namespace {

std::shared_ptr<void> aligned_block(size_t bytes, size_t alignment) {
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* memory = std::aligned_alloc(alignment, rounded);
  if (memory == nullptr) throw std::bad_alloc();
  return {memory, [](void* p) { std::free(p); }};
}

}  // namespace

std::shared_ptr<void> allocate_host(size_t bytes) {
  return bytes == 0 ? nullptr : aligned_block(bytes, 64);
}

std::shared_ptr<void> allocate_huge_pages(size_t bytes) {
  if (bytes == 0) return nullptr;
  std::shared_ptr<void> block = aligned_block(bytes, kHugePageBytes);
  // Advice only: a kernel without THP refuses it, and the memory works as before.
  ::madvise(block.get(), (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes,
            MADV_HUGEPAGE);
  return block;
}

}  // namespace tb
