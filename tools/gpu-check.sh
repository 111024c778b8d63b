#!/usr/bin/env bash
# One unattended check of the CUDA backend on a fresh device machine (one H100/H200, CUDA 13,
# no network), in under 8 minutes:
#   1. finds missing build dependencies and installs them from carried .deb files
#      (tools/gpu-check-prepare.sh fetches them into build-gpu-debs/ on a networked machine);
#   2. configures with -DTUNEBENCH_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 and builds the GPU
#      tests and bench_gpu on every core;
#   3. runs the tests labelled `gpu` (ctest -L gpu), bench_gpu and tools/gpu_bench_torch.py;
#   4. prints a summary: each test pass/fail/skip, each figure against its target.
# Every step has its own timeout inside one overall deadline; a failed step is reported and the
# script goes on to what does not depend on it. Exit code 0 only when every step passed.
# Usage: tools/gpu-check.sh [BUILD_DIR]   (default build-gpu; logs in BUILD_DIR/gpu-check/)
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build-gpu}
debs=${TB_GPU_DEBS:-$root/build-gpu-debs}
logs=$build/gpu-check
mkdir -p "$logs"
jobs=$(nproc)
deadline=$((SECONDS + ${TB_GPU_CHECK_SECONDS:-470}))
summary=()
failed=0

note() { printf '[gpu-check %3ds] %s\n' "$SECONDS" "$*"; }
record() {  # record STATUS WHAT
  summary+=("$(printf '%-5s %s' "$1" "$2")")
  [[ "$1" == FAIL ]] && failed=1
  return 0
}
# step NAME SECONDS CMD...: runs CMD with at most SECONDS (less if the deadline is nearer),
# output in $logs/NAME.log; returns CMD's status (124: timed out).
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((deadline - SECONDS))
  ((left < limit)) && limit=$left
  if ((limit < 5)); then
    note "$name: skipped, the overall deadline has passed"
    return 124
  fi
  note "$name (at most ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >"$logs/$name.log" 2>&1
  local status=$?
  ((status == 124 || status == 137)) && note "$name: timed out after ${limit}s"
  ((status != 0)) && { note "$name: exit $status; last lines of $logs/$name.log:"; tail -n 15 "$logs/$name.log"; }
  return $status
}

# ---- 1. dependencies --------------------------------------------------------------------------
# The build's packages, as tools/install-deps.sh lists them (one list for every machine), and
# ninja; the compiler itself comes with the image.
mapfile -t packages < <(tools/install-deps.sh --list | grep -vx build-essential)
packages+=(ninja-build)
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo -n"
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  note "missing packages: ${missing[*]}"
  if [[ -d "$debs" ]] && compgen -G "$debs/*.deb" >/dev/null; then
    # Only the carried packages this image lacks: never replace what it already has.
    install=()
    for f in "$debs"/*.deb; do
      p=$(dpkg-deb -f "$f" Package 2>/dev/null) || continue
      [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || install+=("$f")
    done
    if ((${#install[@]} == 0)); then
      record FAIL "dependencies: ${missing[*]} missing and not among the carried packages"
    elif step install-debs 120 $sudo dpkg -i "${install[@]}"; then
      record PASS "dependencies: installed ${#install[@]} carried packages"
    elif step install-debs-forced 120 $sudo dpkg -i --force-depends "${install[@]}"; then
      # A dependency left out as base system has another version here: the build decides.
      record INFO "dependencies: installed ${#install[@]} carried packages with --force-depends"
    else
      record FAIL "dependencies: dpkg -i of the carried packages failed (see $logs/install-debs.log)"
    fi
  else
    # No carried packages: apt-get fails fast without a network, and says so.
    if step install-apt 90 $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"; then
      record PASS "dependencies: installed with apt-get"
    else
      record FAIL "dependencies: ${missing[*]} missing and no $debs (run tools/gpu-check-prepare.sh where there is a network)"
    fi
  fi
else
  record PASS "dependencies: all present"
fi
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
command -v "$nvcc" >/dev/null || nvcc=$(command -v nvcc || true)
[[ -n "$nvcc" ]] || record FAIL "nvcc not found (set CUDACXX)"
if command -v nvidia-smi >/dev/null; then
  timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader |
    sed 's/^/device: /'
else
  note "nvidia-smi not found"
fi

# ---- 2. configure and build -------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
built=0
if step configure 90 cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DTUNEBENCH_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_CUDA_COMPILER="$nvcc" \
    -DTUNEBENCH_BENCHMARKS=ON -DTUNEBENCH_WERROR=OFF; then
  record PASS "configure"
  # The targets: bench_gpu and every test labelled gpu (a test is named after its program).
  mapfile -t gpu_tests < <(ctest --test-dir "$build" -N -L gpu 2>/dev/null |
                           sed -n 's/^ *Test *#[0-9]*: *\([^ ]*\).*/\1/p')
  targets=(bench_gpu tunebench)
  for t in "${gpu_tests[@]}"; do
    [[ " ${targets[*]} " == *" $t "* ]] || targets+=("$t")
  done
  note "building ${targets[*]} with $jobs jobs"
  if step build 300 cmake --build "$build" -j"$jobs" --target "${targets[@]}"; then
    record PASS "build (${#targets[@]} targets)"
    built=1
  else
    record FAIL "build (see $logs/build.log)"
  fi
else
  record FAIL "configure (see $logs/configure.log)"
fi

# ---- 3. tests, benchmark, PyTorch reference ----------------------------------------------------
if ((built)); then
  if ((${#gpu_tests[@]} == 0)); then
    record FAIL "no tests labelled gpu were found"
  else
    step ctest-gpu 150 ctest --test-dir "$build" -L gpu --output-on-failure --timeout 120 \
      -j 1
    # One summary line per test: "  3/7 Test  #3: test_cuda_ops ....   Passed    1.2 sec".
    while read -r line; do
      name=$(sed -n 's/.*Test *#[0-9]*: *\([^ ]*\) .*/\1/p' <<<"$line")
      [[ -n "$name" ]] || continue
      case "$line" in
        *Passed*) record PASS "test $name" ;;
        *Skipped*|*"Not Run"*) record FAIL "test $name skipped on a device" ;;
        *) record FAIL "test $name: $(grep -o '\*\*\*[A-Za-z ]*[a-z]' <<<"$line" | tr -d '*')" ;;
      esac
    done < <(grep -E 'Test +#[0-9]+:' "$logs/ctest-gpu.log")
  fi

  if step bench-gpu 200 "$build/tests/bench/bench_gpu"; then
    record PASS "bench_gpu ran"
  else
    record FAIL "bench_gpu (see $logs/bench-gpu.log)"
  fi
  # bench_gpu prints "figure NAME VALUE [target >= T]" lines.
  while read -r _ name value rest; do
    record INFO "$name = $value ${rest}"
  done < <(grep '^figure ' "$logs/bench-gpu.log" 2>/dev/null)
  while read -r _ verdict what; do
    record "$verdict" "$what"
  done < <(grep '^target ' "$logs/bench-gpu.log" 2>/dev/null)
fi

ours=$(sed -n 's/^figure prefill_seconds \([0-9.e+-]*\).*/\1/p' "$logs/bench-gpu.log" 2>/dev/null)
step torch 150 python3 tools/gpu_bench_torch.py
torch_status=$?
grep -E '^torch' "$logs/torch.log" 2>/dev/null | sed 's/^/  /'
theirs=$(sed -n 's/^torch_prefill_seconds \([0-9.e+-]*\).*/\1/p' "$logs/torch.log" 2>/dev/null)
if [[ -n "$theirs" && -n "$ours" ]]; then
  ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.2f", a / b }')
  verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 1.0 ? "PASS" : "FAIL") }')
  record "$verdict" "prefill vs PyTorch eager LlamaForCausalLM: ${ratio}x faster (torch ${theirs}s, tunebench ${ours}s; target >= 1.0x, aim 2x)"
elif ((torch_status == 77)); then
  record SKIP "PyTorch reference: $(sed -n 's/^torch_skip //p' "$logs/torch.log")"
else
  record FAIL "PyTorch reference did not give a time (see $logs/torch.log)"
fi

# ---- 4. summary ---------------------------------------------------------------------------------
echo
echo "==== gpu-check summary ($((SECONDS))s, logs in $logs) ===="
printf '%s\n' "${summary[@]}"
if ((failed)); then
  echo "gpu-check: FAILED"
  exit 1
fi
echo "gpu-check: all passed"
