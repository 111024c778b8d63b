#pragma once
// The CUDA backend's factory. Defined by harness/backend/cuda/ when the toolkit is found, and by
// cuda_stub.cpp (zero devices, "built without CUDA") otherwise.
#include <memory>

namespace tb {

class Backend;

// Visible CUDA devices; any error from the driver (none installed, too old) counts as zero.
int cuda_device_count();
// A backend on device `device`; throws tb::Error (Unsupported) when there is none.
std::unique_ptr<Backend> make_cuda_backend(int device);

}  // namespace tb
