// What only the CUDA backend has (the ops themselves are in test_backend_ops' shared case list):
// staging round trips, the caching allocator handing freed memory back, errors as tb::Error.
// Skipped (exit code 77) without a device.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/backend/cuda_backend.hpp"
#include "harness/core/error.hpp"

namespace {

bool have_device() {
  if (tb::cuda_device_count() > 0) return true;
  MESSAGE("no CUDA device: skipped");
  return false;
}

std::vector<int32_t> download_i32(tb::Backend& b, const tb::Tensor& t) {
  tb::Tensor host = tb::Tensor::zeros(t.shape(), tb::DType::I32);
  b.download(t, host);
  const auto* p = host.data_as<const int32_t>();
  return {p, p + host.numel()};
}

}  // namespace

TEST_CASE("cuda: stage sends every array once and views them as i32 device tensors") {
  if (!have_device()) std::exit(77);
  auto b = tb::make_cuda_backend(0);
  const std::vector<int32_t> tokens{5, 6, 7, 8, 9}, positions{0, 1, 2, 40, 41},
      slots{0, 0, 0, 3, 3};
  const std::vector<int32_t> wanted{2, 4};
  const std::vector<tb::AttentionSegment> segments{{0, 0, 3}, {3, 3, 2}};
  for (int round = 0; round < 3; ++round) {  // the pinned buffer is reused
    tb::StagedBatch s;
    s.tokens = tokens;
    s.positions = positions;
    s.slots = slots;
    s.wanted = wanted;
    s.segments = segments;
    s.max_position = 41;
    b->stage(s);
    CHECK(s.d_tokens.device() == tb::Device::Cuda);
    CHECK(s.d_tokens.dtype() == tb::DType::I32);
    CHECK(download_i32(*b, s.d_tokens) == tokens);
    CHECK(download_i32(*b, s.d_positions) == positions);
    CHECK(download_i32(*b, s.d_slots) == slots);
    CHECK(download_i32(*b, s.d_wanted) == wanted);
    CHECK(s.d_segments.shape() == tb::Shape{2, 3});
    CHECK(download_i32(*b, s.d_segments) == std::vector<int32_t>{0, 0, 3, 3, 3, 2});
  }
}

TEST_CASE("cuda: alloc is zeroed and upload, copy and download round-trip every dtype") {
  if (!have_device()) std::exit(77);
  auto b = tb::make_cuda_backend(0);
  for (tb::DType dtype : {tb::DType::F32, tb::DType::BF16, tb::DType::F16, tb::DType::I32}) {
    CAPTURE(tb::dtype_name(dtype));
    tb::Tensor host = tb::Tensor::zeros({3, 5}, dtype);
    auto* bytes = static_cast<unsigned char*>(host.data());
    for (size_t i = 0; i < host.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 1);
    tb::Tensor dev = b->upload(host);
    tb::Tensor zeroed = b->alloc({3, 5}, dtype);
    b->copy(dev, 5, zeroed, 0, 5);  // row 1 into row 0
    tb::Tensor back = tb::Tensor::zeros({3, 5}, dtype);
    b->download(zeroed, back);
    const size_t row = host.nbytes() / 3;
    CHECK(std::memcmp(back.data(), bytes + row, row) == 0);
    const std::vector<unsigned char> zeros(2 * row, 0);
    CHECK(std::memcmp(static_cast<unsigned char*>(back.data()) + row, zeros.data(), 2 * row) == 0);
  }
}

TEST_CASE("cuda: freed blocks are reused, and an impossible allocation is OutOfMemory (exit 2)") {
  if (!have_device()) std::exit(77);
  auto b = tb::make_cuda_backend(0);
  void* first = nullptr;
  {
    tb::Tensor t = b->alloc({1 << 20});
    first = t.data();
  }
  tb::Tensor again = b->alloc({1 << 20});
  CHECK(again.data() == first);  // same size class: the cached block, no cudaMalloc
  try {
    b->alloc({int64_t{1} << 40});  // 4 TiB
    FAIL("expected an out-of-memory error");
  } catch (const tb::Error& e) {
    CHECK(e.kind() == tb::ErrorKind::OutOfMemory);
    CHECK(e.exit_code() == 2);
    CHECK(std::string(e.what()).find("out of device memory") != std::string::npos);
  }
  tb::Tensor after = b->alloc({16});  // the backend still works
  CHECK(after.device() == tb::Device::Cuda);
}

TEST_CASE("cuda: a device index that does not exist is BadInput") {
  if (!have_device()) std::exit(77);
  try {
    tb::make_cuda_backend(tb::cuda_device_count());
    FAIL("expected an error");
  } catch (const tb::Error& e) {
    CHECK(e.kind() == tb::ErrorKind::BadInput);
  }
}
