#pragma once
// The CPU backend: host memory, and either the fast kernels (OpenBLAS + OpenMP) or the scalar
// reference kernels (the oracle other backends are tested against).
#include <memory>

#include "harness/backend/backend.hpp"

namespace tb {

enum class CpuKernels { Fast, Reference };

// `threads` <= 0: every core. Sets OpenBLAS's thread count (process-wide); OpenMP loops use
// OMP_NUM_THREADS when set, else the calling thread only (see cpu_backend.cpp for why).
std::unique_ptr<Backend> make_cpu_backend(int threads, CpuKernels kernels = CpuKernels::Fast);

}  // namespace tb
