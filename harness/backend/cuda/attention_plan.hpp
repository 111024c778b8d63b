#pragma once
// Host-side launch planning for the CUDA attention kernels: the shared memory each kernel
// configuration carves, which configuration fits a device, the decode kernel's key splits and
// scratch rows, and grid slices under the 65,535 limit of grid.y and grid.z. Plain C++ (no
// CUDA headers), so the CPU unit tests check it on machines without a GPU; the kernels take
// their shared-memory layouts from these same functions.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "harness/backend/backend.hpp"

namespace tb::cuda::plan {

inline constexpr int64_t kMaxGridYZ = 65535;

// Calls launch(y0, z0, ny, nz) for each slice of a grid of `ys` x `zs` blocks in y and z, with
// ny, nz <= kMaxGridYZ; the kernel adds y0 and z0 to blockIdx.y and blockIdx.z.
template <typename F>
void for_each_slice(int64_t ys, int64_t zs, F&& launch) {
  for (int64_t y0 = 0; y0 < ys; y0 += kMaxGridYZ) {
    for (int64_t z0 = 0; z0 < zs; z0 += kMaxGridYZ) {
      launch(y0, z0, std::min(kMaxGridYZ, ys - y0), std::min(kMaxGridYZ, zs - z0));
    }
  }
}

// ---- the tiled f32 kernel (cuda_attention_prefill.cu): `rows` query rows per block ----
inline constexpr int kTiledKeys = 64;  // keys per tile
inline constexpr int kTiledThreads = 256;

// Q [rows][hd + 1], K [keys][hd + 1], V [keys][hd], P [rows][keys + 1], m, l and the correction
// per row (f32), and the positions (i32).
constexpr size_t tiled_shared_bytes(int head_dim, int rows) {
  const auto hd = static_cast<size_t>(head_dim), r = static_cast<size_t>(rows);
  return sizeof(float) * (r * (hd + 1) + kTiledKeys * (hd + 1) + kTiledKeys * hd +
                          r * (kTiledKeys + 1) + 3 * r) +
         sizeof(int32_t) * r;
}

// Rows per block: 64 where they fit in `max_shared` bytes, else 32 (head size 128 on a card with
// 99 KiB), else 0: no tiled kernel, and the decode kernel takes the segments.
constexpr int tiled_rows(int head_dim, size_t max_shared) {
  if (head_dim != 32 && head_dim != 64 && head_dim != 128) return 0;
  for (const int rows : {64, 32}) {
    if (tiled_shared_bytes(head_dim, rows) <= max_shared) return rows;
  }
  return 0;
}

// ---- the flash kernel over bf16 / f16 caches (cuda_attention_flash.cu) ----
inline constexpr int kFlashWarps = 4;
inline constexpr int kFlashRows = 16 * kFlashWarps;  // query rows per block, 16 per warp
inline constexpr int kFlashKeys = 64;                // keys per tile
inline constexpr int kFlashHalfPad = 8;   // halves after each Q, K, V, P row: ldm stays % 8
inline constexpr int kFlashFloatPad = 4;  // floats after each scratch row: ldm stays % 4

// Byte offsets of the block's shared memory: Q [rows][hd + 8], K and V [keys][hd + 8] in the
// cache dtype; per warp an f32 scratch [16][hd + 4] (the S tile, then the P V tile) and P
// [16][keys + 8] in the cache dtype. Every offset is a multiple of 32 bytes (wmma pointers).
struct FlashLayout {
  size_t q = 0, k = 0, v = 0, scratch = 0, p = 0, total = 0;
};
constexpr FlashLayout flash_layout(int head_dim) {
  const size_t half_row = 2 * static_cast<size_t>(head_dim + kFlashHalfPad);
  FlashLayout l;
  l.k = l.q + kFlashRows * half_row;
  l.v = l.k + kFlashKeys * half_row;
  l.scratch = l.v + kFlashKeys * half_row;
  l.p = l.scratch + size_t{kFlashWarps} * 16 * sizeof(float) * (head_dim + kFlashFloatPad);
  l.total = l.p + size_t{kFlashWarps} * 16 * 2 * (kFlashKeys + kFlashHalfPad);
  return l;
}
constexpr bool flash_fits(int head_dim, size_t max_shared) {
  return (head_dim == 64 || head_dim == 128) && flash_layout(head_dim).total <= max_shared;
}

// ---- the split-K decode kernel (cuda_attention_decode.cu) ----
inline constexpr int64_t kDecodeKeysPerSplit = 64;  // the split count aims at this many keys
inline constexpr int64_t kDecodeMaxSplits = 32;

struct DecodeSplits {
  int64_t splits = 0, chunk = 0;  // chunk: keys per split; 0 when q alone does not fit
};
// Splits of 0..max_keys-1 whose q [hd] and scores [chunk] (f32) fit in `dynamic_limit` bytes of
// dynamic shared memory: the launch limit less the kernel's own static shared memory.
constexpr DecodeSplits decode_splits(int64_t max_keys, int head_dim, size_t dynamic_limit) {
  const int64_t chunk_limit = static_cast<int64_t>(dynamic_limit / sizeof(float)) - head_dim;
  if (chunk_limit <= 0) return {};
  int64_t splits = std::clamp<int64_t>((max_keys + kDecodeKeysPerSplit - 1) / kDecodeKeysPerSplit,
                                       1, kDecodeMaxSplits);
  int64_t chunk = (max_keys + splits - 1) / splits;
  if (chunk > chunk_limit) {  // very long contexts: more splits keep the scores in the limit
    splits = (max_keys + chunk_limit - 1) / chunk_limit;
    chunk = (max_keys + splits - 1) / splits;
  }
  return {splits, chunk};
}

// Rows of the segments the decode kernel takes (fewer than `below` rows): the rows of its
// partial-result scratch, which it indexes by a compact row (the rows of the earlier taken
// segments plus the row within the segment), not by the batch row.
inline int64_t decode_rows(std::span<const AttentionSegment> segments, int32_t below) {
  int64_t rows = 0;
  for (const AttentionSegment& seg : segments) {
    if (seg.rows < below) rows += seg.rows;
  }
  return rows;
}

}  // namespace tb::cuda::plan
