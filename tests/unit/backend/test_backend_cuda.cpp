// The shared op-case list on the CUDA backend against the CPU reference kernels, with the
// per-dtype tolerances (f32 1e-5, f16 1e-2, bf16 4e-2; attention over half caches: op_cases.cpp),
// on the default (flash) attention path and its attention cases again on the gemm path. Without a
// visible CUDA device the whole program exits 77, which CTest reports as skipped (never as passed).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "harness/backend/backend.hpp"
#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/backend/cuda_backend.hpp"
#include "tests/unit/backend/op_cases.hpp"

TEST_CASE("every op case: CUDA against the CPU reference kernels") {
  auto cuda = tb::make_cuda_backend(0);
  auto reference = tb::make_cpu_backend(1, tb::CpuKernels::Reference);
  MESSAGE("candidate: " << cuda->name());
  tb::test::run_op_cases(*cuda, *reference, tb::test::Tolerances{});
}

TEST_CASE("the gemm attention path (TB_CUDA_ATTENTION=gemm), kept for A/B, against the reference") {
  auto cuda = tb::make_cuda_backend(0);
  auto reference = tb::make_cpu_backend(1, tb::CpuKernels::Reference);
  tb::set_cuda_attention_path(*cuda, tb::CudaAttentionPath::Gemm);
  for (const tb::test::OpCase& c : tb::test::op_cases()) {
    if (c.name.find("attention") == std::string::npos) continue;
    SUBCASE(c.name.c_str()) {
      c.run(*cuda, *reference, tb::test::Tolerances{});
    }
  }
}

TEST_CASE("CUDA: supports every op in f32 and weights and caches in bf16 and f16") {
  auto cuda = tb::make_cuda_backend(0);
  for (tb::DType dtype : {tb::DType::F32, tb::DType::BF16, tb::DType::F16}) {
    CHECK(cuda->supports(tb::Op::Linear, dtype));
    CHECK(cuda->supports(tb::Op::Embedding, dtype));
    CHECK(cuda->supports(tb::Op::StoreKv, dtype));
    CHECK(cuda->supports(tb::Op::Attention, dtype));
  }
  CHECK(cuda->device() == tb::Device::Cuda);
}

int main(int argc, char** argv) {
  if (tb::cuda_device_count() == 0) {
    std::printf("test_backend_cuda: no CUDA device visible: skipped\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
