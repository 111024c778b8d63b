#pragma once
// How much host memory the kernel says is available, for refusing work that cannot fit before
// allocating it (a KV cache, a profile shape's random weights).
#include <cstdint>
#include <optional>

namespace tb {

// MemAvailable from /proc/meminfo in bytes; nullopt where it cannot be read.
std::optional<int64_t> available_memory_bytes();

}  // namespace tb
