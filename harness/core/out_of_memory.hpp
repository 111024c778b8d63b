#pragma once
// The one wording of an allocation that did not fit, for every backend: what was being done, the
// bytes asked, what is free, and what to change. ErrorKind::OutOfMemory carries it (exit 2): a
// model or batch too large for the machine is the user's limit, not a bug.
#include <cstddef>
#include <string>

namespace tb {

enum class MemoryKind { Device, PinnedHost };

// `asked` 0: the failing library did not say (cuBLAS's own workspace). `device` < 0: unknown.
std::string out_of_memory_message(const std::string& what, MemoryKind kind, size_t asked,
                                  int device, size_t free_bytes, size_t total_bytes);

}  // namespace tb
