#!/usr/bin/env bash
# Builds the GPU check's bundle here, on a CPU machine (nvcc compiles for sm_90 without a GPU),
# so that a device machine, lent for minutes and without a network, builds nothing. The bundle
# travels as gpu-bundle/bundle.tar.gz (gzip: every image has it; OpenBLAS's 36 MB of kernels
# for every CPU would not fit uncompressed) beside a copy of its MANIFEST; tools/gpu-check.sh
# unpacks it. Inside:
#   bin/          tunebench, bench_gpu, eval_parity and every program of a test
#                            labelled gpu, stripped
#   lib/                     every shared library they load (ldd) except glibc, libstdc++,
#                            libgcc_s, the CUDA driver and cuBLAS/cuBLASLt
#   lib-fallback/            libstdc++ and libgcc_s, used by tools/gpu-check.sh only when the
#                            device's own are too old for these programs
#   MANIFEST                 what was built, from which commit, with which flags
# The CUDA runtime is linked statically; cuBLAS comes from the device (tools/gpu-check.sh looks
# in /usr/local/cuda/lib64, then in Python's nvidia/cublas/lib). The test data the programs read
# (data/models, data/golden, suites/specs) is tracked and travels with the working tree.
# Built without -march=native: the device's CPU is not this one.
# Usage: tools/gpu-bundle.sh            (then carry gpu-bundle to the device; it is git-ignored)
# Prints the bundle's size and fails when bundle + tracked files reach 56 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${TB_BUNDLE_BUILD:-build-gpu-bundle}
dest=$root/gpu-bundle
out=$root/$build/bundle  # the tree that goes into the archive
limit_mib=56

tools/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTUNEBENCH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DTUNEBENCH_NATIVE=OFF -DTUNEBENCH_WERROR=ON \
  -DTUNEBENCH_BENCHMARKS=ON >/dev/null
mapfile -t gpu_tests < <(ctest --test-dir "$build" -N -L gpu |
                         sed -n 's/^ *Test *#[0-9]*: *\([^ ]*\).*/\1/p')
programs=(tunebench bench_gpu eval_parity "${gpu_tests[@]}")
cmake --build "$build" -j"$(nproc)" --target "${programs[@]}"

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/lib-fallback"
# Loaded from the device instead: glibc's libraries, the loader, the CUDA driver, cuBLAS; the
# C++ runtime goes to lib-fallback.
from_device='^(linux-vdso|ld-linux[^ ]*|libc|libm|libpthread|libdl|librt|libresolv|libutil|libcuda|libcublas|libcublasLt)\.so'
cxx_runtime='^(libstdc\+\+|libgcc_s)\.so'
for p in "${programs[@]}"; do
  file=$(find "$build" -type f -name "$p" -perm -u+x | head -n 1)
  [[ -n "$file" ]] || { echo "gpu-bundle: $p was not built" >&2; exit 1; }
  strip --strip-unneeded -o "$out/bin/$p" "$file"
  while read -r name _ path _; do
    [[ "$name" =~ $from_device ]] && continue
    if [[ "$path" == "not" ]]; then
      echo "gpu-bundle: $p needs $name, which is not found here" >&2
      exit 1
    fi
    libdir=$out/lib
    [[ "$name" =~ $cxx_runtime ]] && libdir=$out/lib-fallback
    [[ -e "$libdir/$name" ]] || strip --strip-unneeded -o "$libdir/$name" "$(realpath "$path")"
  done < <(ldd "$file" | awk '$2 == "=>" { print $1, $2, $3, $4 }')
done

cublas=$(ldd "$out/bin/bench_gpu" | awk '$1 ~ /^libcublas\.so/ { print $1 }')
{
  echo "tunebench GPU bundle"
  echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- . ':!gpu-bundle' || echo ' (with uncommitted changes)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), $(g++ --version | head -n 1), $(nvcc --version | tail -n 1)"
  echo "flags: Release, CUDA sm_90, no -march=native, static CUDA runtime; cuBLAS from the device ($cublas)"
  echo "programs: ${programs[*]}"
  echo "libraries: $(cd "$out/lib" && ls | tr '\n' ' ')"
  echo "fallback C++ runtime: $(cd "$out/lib-fallback" && ls | tr '\n' ' ')"
  echo "gpu tests: ${gpu_tests[*]}"
} >"$out/MANIFEST"

rm -rf "$dest" && mkdir -p "$dest"
tar -C "$out" -czf "$dest/bundle.tar.gz" .
cp "$out/MANIFEST" "$dest/MANIFEST"
bundle_bytes=$(du -sb "$dest" | cut -f1)
tracked_bytes=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s }')
total=$((bundle_bytes + tracked_bytes))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "gpu-bundle: $dest: $(mib "$bundle_bytes") compressed, $(mib "$(du -sb "$out" | cut -f1)") unpacked" \
  "(${#programs[@]} programs, $(ls "$out/lib" | wc -l) libraries);" \
  "tracked files $(mib "$tracked_bytes"); together $(mib "$total") (limit ${limit_mib} MiB)"
if ((total >= limit_mib * 1048576)); then
  echo "gpu-bundle: over ${limit_mib} MiB: the device machine would not receive it all" >&2
  exit 1
fi
