#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (warnings as errors), runs every test,
# then builds and runs the unit tests once more under AddressSanitizer + UBSan, then runs every
# libFuzzer target for a short fixed time (TB_FUZZ_SECONDS, default 15), one per core: with the
# clang build, within 6 minutes on 2 cores (tools/run-fuzz.sh runs them for longer).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test

jobs=$(nproc)
# CUDA compiles here for sm_90 only (the H100/H200 the device checks use): half the nvcc time.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTUNEBENCH_WERROR=ON -DCMAKE_CUDA_ARCHITECTURES=90
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTUNEBENCH_WERROR=ON \
  -DTUNEBENCH_SANITIZE=ON -DTUNEBENCH_BENCHMARKS=OFF -DTUNEBENCH_CUDA=OFF
cmake --build build-sanitize -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -L "unit|e2e" -j"$jobs"

TB_FUZZ_JOBS=$jobs tools/run-fuzz.sh "${TB_FUZZ_SECONDS:-15}"
