#pragma once
// The CPU backend: host memory, and either the fast kernels (OpenBLAS + OpenMP) or the scalar
// reference kernels (the oracle other backends are tested against).
#include <memory>

#include "harness/backend/backend.hpp"

namespace tb {

enum class CpuKernels { Fast, Reference };

// `threads` <= 0: every core. Sets the OpenMP team size, process-wide, which OpenBLAS's OpenMP
// build and the kernels' loops share.
std::unique_ptr<Backend> make_cpu_backend(int threads, CpuKernels kernels = CpuKernels::Fast);

}  // namespace tb
