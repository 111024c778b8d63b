#pragma once
// Host memory for tensors: plain 64-byte aligned blocks, and huge-page blocks for weights.
#include <cstddef>
#include <memory>

namespace tb {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// `bytes` of uninitialised memory, 64-byte aligned, freed when the last owner goes. Throws
// std::bad_alloc when the system has none to give.
std::shared_ptr<void> allocate_host(size_t bytes);

// The same, rounded up to whole huge pages, aligned to one, and asked for transparent huge pages
// (madvise; a no-op where THP is off). For weights: decode streams each of them once per token,
// and on 4 KiB pages the page walks and the prefetchers' stop at every page cost 9-15% of a
// matrix-vector product's bandwidth (measured on the 24M and 110M shapes, issue 16). Not for
// activations: a fresh huge page is zeroed whole at its first touch, which made a 512-token
// prefill's first forward 0.4 s slower on the development VM.
std::shared_ptr<void> allocate_huge_pages(size_t bytes);

}  // namespace tb
