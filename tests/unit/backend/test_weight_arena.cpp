// The CPU backend's weight arena: exact copies, 64-byte alignment, small tensors packed into
// shared huge-page chunks, large ones on blocks of their own, memory that outlives the arena.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/backend/cpu/weight_arena.hpp"
#include "harness/core/host_memory.hpp"

namespace {

using tb::Tensor;

Tensor counting(const tb::Shape& shape) {
  Tensor t = Tensor::zeros(shape, tb::DType::F32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = static_cast<float>(i % 1009);
  return t;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

uintptr_t address(const Tensor& t) {
  return reinterpret_cast<uintptr_t>(t.data());
}

}  // namespace

TEST_CASE("weight arena: small tensors share a huge-page chunk, large ones get their own") {
  std::vector<Tensor> sources = {counting({3, 5}), counting({512, 512}), counting({7}),
                                 counting({1025, 2048}), counting({4})};
  std::vector<Tensor> copies;
  {
    tb::cpu::WeightArena arena;
    for (const Tensor& s : sources) copies.push_back(arena.copy(s));
  }  // the arena is gone; its chunks live on in the copies
  for (size_t i = 0; i < sources.size(); ++i) {
    CAPTURE(i);
    CHECK(same_bytes(copies[i], sources[i]));
    CHECK(copies[i].data() != sources[i].data());
    CHECK(address(copies[i]) % 64 == 0);
  }
  // The first chunk starts on a huge page and holds 0, 1, 2 and 4 back to back (60 bytes
  // rounded to 64, then 1 MiB, then 28 bytes rounded to 64).
  CHECK(address(copies[0]) % tb::kHugePageBytes == 0);
  CHECK(address(copies[1]) == address(copies[0]) + 64);
  CHECK(address(copies[2]) == address(copies[1]) + (size_t{1} << 20));
  CHECK(address(copies[4]) == address(copies[2]) + 64);
  // Just over 8 MiB is over a quarter of a chunk: a block of its own, on a huge-page boundary.
  CHECK(address(copies[3]) % tb::kHugePageBytes == 0);
  CHECK(address(copies[3]) != address(copies[2]) + 64);
}

TEST_CASE("weight arena: a full chunk starts another") {
  tb::cpu::WeightArena arena;
  const Tensor six_mib = counting({6, 1 << 18});  // under a quarter of 32 MiB: packed
  std::vector<Tensor> copies;
  for (int i = 0; i < 6; ++i) copies.push_back(arena.copy(six_mib));
  for (const Tensor& c : copies) CHECK(same_bytes(c, six_mib));
  const size_t six = size_t{6} << 20;
  for (int i = 1; i < 5; ++i) CHECK(address(copies[i]) == address(copies[i - 1]) + six);
  // Five fill 30 of the 32 MiB; the sixth opens a new chunk.
  CHECK(address(copies[5]) % tb::kHugePageBytes == 0);
  CHECK(address(copies[5]) != address(copies[4]) + six);
}

TEST_CASE("cpu backend: adopt copies the weight into its arena") {
  auto backend = tb::make_cpu_backend(1);
  const Tensor host = counting({33, 17});
  const Tensor adopted = backend->adopt(host);
  CHECK(same_bytes(adopted, host));
  CHECK(adopted.data() != host.data());
}
