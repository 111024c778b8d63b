#include "harness/core/out_of_memory.hpp"

#include <fmt/format.h>

namespace tb {

namespace {

std::string mib(size_t bytes) {
  return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

std::string out_of_memory_message(const std::string& what, MemoryKind kind, size_t asked,
                                  int device, size_t free_bytes, size_t total_bytes) {
  const std::string where = device >= 0 ? fmt::format("cuda:{}", device) : std::string("cuda");
  const std::string asking = asked > 0 ? " allocating " + mib(asked) : std::string();
  if (kind == MemoryKind::PinnedHost) {
    return fmt::format(
        "{}: {}: out of pinned host memory{}; free the host's memory or lower "
        "--batch-tokens",
        where, what, asking);
  }
  return fmt::format(
      "{}: {}: out of device memory{} ({} free of {}); try a smaller "
      "--batch-tokens or --context, or a bf16 KV cache",
      where, what, asking, mib(free_bytes), mib(total_bytes));
}

}  // namespace tb
