#pragma once
// The CUDA backend's factory. Defined by harness/backend/cuda/ when the toolkit is found, and by
// cuda_stub.cpp (zero devices, "built without CUDA") otherwise.
#include <cstdint>
#include <memory>
#include <string>

namespace tb {

class Backend;

// Visible CUDA devices; any error from the driver (none installed, too old) counts as zero.
int cuda_device_count();
// A backend on device `device`; throws tb::Error (Unsupported) when there is none.
std::unique_ptr<Backend> make_cuda_backend(int device);

// The GPU benchmark's reference rates, measured on `device` in the calling process: a raw
// cuBLAS bf16 GEMM (bf16 in and out, f32 accumulation) of gemm_size^3 in FLOP/s, and a
// device-to-device cudaMemcpy of copy_bytes in bytes/s counting the bytes read and written.
// Only in CUDA builds (tests/bench/bench_gpu.cpp is built only there).
struct CudaReferenceRates {
  std::string device;
  double bf16_gemm_flops = 0.0;
  double copy_bytes_per_s = 0.0;
};
// The CUDA backend's path for segments of kPrefillMinRows (16) rows or more over bf16 / f16 KV
// caches: Flash, a tensor-core flash-attention kernel (the default), or Gemm, cuBLAS GEMMs that
// materialise the f32 scores (kept for A/B comparison). A backend starts on the path the
// environment variable TB_CUDA_ATTENTION names (flash or gemm; unset: flash), read once when it
// is made; this switches it afterwards (bench_gpu measures both). Throws tb::Error (BadInput)
// when `backend` is not a CUDA backend.
enum class CudaAttentionPath { Flash, Gemm };
void set_cuda_attention_path(Backend& backend, CudaAttentionPath path);

CudaReferenceRates measure_cuda_reference_rates(int device, int gemm_size = 8192,
                                                int64_t copy_bytes = int64_t{1} << 30);

}  // namespace tb
