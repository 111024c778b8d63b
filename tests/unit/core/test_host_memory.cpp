// Host memory blocks: plain ones 64-byte aligned, huge-page ones aligned to a huge page, both
// writable over the whole size asked for; nothing for zero bytes.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "harness/core/host_memory.hpp"

TEST_CASE("host memory: alignment and sizes") {
  CHECK(tb::allocate_host(0) == nullptr);
  CHECK(tb::allocate_huge_pages(0) == nullptr);
  for (size_t bytes : {size_t{1}, size_t{100}, size_t{3} << 20}) {
    CAPTURE(bytes);
    const std::shared_ptr<void> plain = tb::allocate_host(bytes);
    const std::shared_ptr<void> huge = tb::allocate_huge_pages(bytes);
    CHECK(reinterpret_cast<uintptr_t>(plain.get()) % 64 == 0);
    CHECK(reinterpret_cast<uintptr_t>(huge.get()) % tb::kHugePageBytes == 0);
    std::memset(plain.get(), 1, bytes);
    std::memset(huge.get(), 1, bytes);
  }
}
