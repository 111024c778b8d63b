// The CUDA attention kernels' host-side planning (harness/backend/cuda/attention_plan.hpp) on
// the CPU: shared memory against the device limits of real cards, the decode scratch size, and
// grid slices under the 65,535 limit of grid.y and grid.z. Plain C++, so it runs without a GPU.
#include "harness/backend/cuda/attention_plan.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace plan = tb::cuda::plan;

namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kAmpereConsumer = 99 * kKiB;  // sm_86 / sm_89 opt-in limit per block
constexpr size_t kHopper = 227 * kKiB;         // sm_90
constexpr size_t kDefault = 48 * kKiB;         // without the opt-in

}  // namespace

TEST_CASE("tiled prefill: 64 rows where they fit, 32 on a 99 KiB card at head size 128") {
  CHECK(plan::tiled_shared_bytes(128, 64) == 116480);  // the review's figure: over 99 KiB
  CHECK(plan::tiled_rows(128, kHopper) == 64);
  CHECK(plan::tiled_rows(128, kAmpereConsumer) == 32);
  CHECK(plan::tiled_shared_bytes(128, 32) <= kAmpereConsumer);
  CHECK(plan::tiled_rows(128, kDefault) == 0);  // nothing fits: the decode kernel takes it
  for (const int hd : {32, 64}) {
    CHECK(plan::tiled_rows(hd, kAmpereConsumer) == 64);
    CHECK(plan::tiled_shared_bytes(hd, plan::tiled_rows(hd, kAmpereConsumer)) <= kAmpereConsumer);
  }
  CHECK(plan::tiled_rows(80, kHopper) == 0);  // no kernel for this head size
}

TEST_CASE("flash: fits 99 KiB at head sizes 64 and 128, offsets aligned for wmma") {
  for (const int hd : {64, 128}) {
    CAPTURE(hd);
    const plan::FlashLayout l = plan::flash_layout(hd);
    CHECK(plan::flash_fits(hd, kAmpereConsumer));
    CHECK(plan::flash_fits(hd, kHopper));
    for (const size_t offset : {l.q, l.k, l.v, l.scratch, l.p, l.total}) CHECK(offset % 32 == 0);
    // Each warp's scratch and P start 32-byte aligned too.
    CHECK((16 * sizeof(float) * (hd + plan::kFlashFloatPad)) % 32 == 0);
    CHECK((16 * 2 * (plan::kFlashKeys + plan::kFlashHalfPad)) % 32 == 0);
    CHECK(hd + plan::kFlashFloatPad >= plan::kFlashKeys);  // the scratch holds an S tile
  }
  CHECK(plan::flash_layout(128).total == 95232);
  CHECK_FALSE(plan::flash_fits(128, kDefault));
  CHECK_FALSE(plan::flash_fits(32, kHopper));
  CHECK_FALSE(plan::flash_fits(96, kHopper));
}

TEST_CASE("decode: the splits cover every key and fit the limit less static shared memory") {
  const size_t static_bytes = 384;  // the block reductions' partials, as on the device
  for (const int hd : {16, 64, 128, 256}) {
    for (const int64_t keys : {1, 63, 64, 65, 513, 4096, 32768, 1 << 20}) {
      CAPTURE(hd);
      CAPTURE(keys);
      const size_t limit = kDefault - static_bytes;
      const plan::DecodeSplits s = plan::decode_splits(keys, hd, limit);
      REQUIRE(s.splits >= 1);
      CHECK(s.splits * s.chunk >= keys);
      CHECK((s.splits - 1) * s.chunk < keys);  // no split starts past the last key
      CHECK(sizeof(float) * static_cast<size_t>(hd + s.chunk) + static_bytes <= kDefault);
    }
  }
  CHECK(plan::decode_splits(513, 128, kDefault).splits == 9);
  CHECK(plan::decode_splits(100, 20000, kDefault).splits == 0);  // q alone does not fit
}

TEST_CASE("decode: the scratch holds the rows of the segments it takes, not the batch's") {
  // One short segment behind 8 x 2048 prefill rows: scratch for its 3 rows only.
  std::vector<tb::AttentionSegment> segments;
  for (int32_t s = 0; s < 8; ++s) segments.push_back({s, s * 2048, 2048});
  segments.push_back({8, 8 * 2048, 3});
  segments.push_back({9, 8 * 2048 + 3, 1});
  CHECK(plan::decode_rows(segments, 16) == 4);
  CHECK(plan::decode_rows(segments, 128) == 4);
  CHECK(plan::decode_rows(segments, INT32_MAX) == 8 * 2048 + 4);  // no prefill kernel
  // The review's case on LLaMA-7B heads and splits: sized by the batch's 16,388 rows the scratch
  // took 8.7 GB; by the decode segments' 4 rows it takes 2.1 MB.
  const auto bytes = [](int64_t rows) {
    return rows * 32 * plan::kDecodeMaxSplits * (128 + 2) * 4;
  };
  CHECK(bytes(8 * 2048 + 4) > int64_t{8'700'000'000});
  CHECK(bytes(plan::decode_rows(segments, 16)) == 2'129'920);
}

TEST_CASE("grid slices cover y and z in pieces of at most 65,535") {
  for (const auto& [ys, zs] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {65535, 32}, {65536, 1}, {200000, 70000}}) {
    CAPTURE(ys);
    CAPTURE(zs);
    int64_t covered = 0, next_y = 0;
    int slices = 0;
    plan::for_each_slice(ys, zs, [&](int64_t y0, int64_t z0, int64_t ny, int64_t nz) {
      CHECK(ny >= 1);
      CHECK(nz >= 1);
      CHECK(ny <= plan::kMaxGridYZ);
      CHECK(nz <= plan::kMaxGridYZ);
      CHECK(y0 + ny <= ys);
      CHECK(z0 + nz <= zs);
      if (z0 == 0) {
        CHECK(y0 == next_y);  // y slices are contiguous
        next_y = y0 + ny;
      }
      covered += ny * nz;
      ++slices;
    });
    CHECK(covered == ys * zs);
    CHECK(next_y == ys);
    CHECK(slices == ((ys + 65534) / 65535) * ((zs + 65534) / 65535));
  }
}
