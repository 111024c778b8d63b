#!/usr/bin/env bash
# The one prepared run of the CUDA backend on a device machine (one H100/H200, no network, not
# Debian): runs the prebuilt bundle of tools/gpu-bundle.sh and builds nothing.
#   0. prints the machine: /etc/os-release, nvidia-smi, nvcc, g++, cmake, python3's torch, where
#      cuBLAS was found, and ldd of every program (naming any library not found);
#   1. runs every gpu test program (op cases, backend behaviour, whole-model parity);
#   2. runs `tunebench eval` of both bundled models on mtb, mmlu, abc-ppl and a greedy
#      abc-gen-quick on the CPU and on CUDA, and compares the two stores (eval_parity);
#   3. runs bench_gpu (LLaMA-2 7B and MuPT-1.3B shapes) and tools/gpu_bench_torch.py
#      (transformers' LlamaForCausalLM, sdpa and eager, on the same shapes).
# Each step has its own timeout inside one deadline (TB_GPU_CHECK_SECONDS, default 290). A step
# cut short is named with the last lines it wrote. Correctness decides the exit code (1 when a
# test or the parity check failed); every speed figure is printed beside its target as
# information, never as a failure. Without a device the gpu programs exit 77 and are reported
# as skipped, and the CPU half still runs (tools/gpu-bundle-chroot-check.sh relies on that).
# Logs, and summary.json, go to $OUT when it is set (the device tool brings $OUT back), else to
# gpu-check-logs/.
# Usage: tools/gpu-check.sh [BUNDLE]   (default gpu-bundle)
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
bundle=$(realpath -m "${1:-gpu-bundle}")
logs=${OUT:-$root/gpu-check-logs}
mkdir -p "$logs"
deadline=$((SECONDS + ${TB_GPU_CHECK_SECONDS:-290}))
summary=()
failed=0

note() { printf '[gpu-check %3ds] %s\n' "$SECONDS" "$*"; }
record() {  # record STATUS WHAT   (STATUS: PASS FAIL SKIP INFO)
  summary+=("$1|$2")
  printf '%-5s %s\n' "$1" "$2"
  [[ "$1" == FAIL ]] && failed=1
  return 0
}
# step NAME SECONDS CMD...: CMD with at most SECONDS (less when the deadline is nearer), output
# in $logs/NAME.log; returns CMD's status (124: cut short, and said so with its last lines).
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((deadline - SECONDS))
  ((left < limit)) && limit=$left
  if ((limit < 5)); then
    note "$name: not run, the overall deadline has passed"
    echo "not run: the overall deadline had passed" >"$logs/$name.log"
    return 124
  fi
  note "$name (at most ${limit}s)"
  timeout --kill-after=5 "$limit" "$@" >"$logs/$name.log" 2>&1
  local status=$?
  if ((status == 124 || status == 137)); then
    echo "gpu-check: cut short after ${limit}s" >>"$logs/$name.log"
    note "$name: cut short after ${limit}s; its last lines:"
    tail -n 8 "$logs/$name.log"
    return 124
  fi
  ((status != 0 && status != 77)) && { note "$name: exit $status; last lines:"; tail -n 15 "$logs/$name.log"; }
  return $status
}

# ---- 0. the machine ----------------------------------------------------------------------------
# The bundle travels compressed (tools/gpu-bundle.sh): unpack it beside the logs' machine.
if [[ -f "$bundle/bundle.tar.gz" ]]; then
  unpacked=${TMPDIR:-/tmp}/tunebench-gpu-bundle
  rm -rf "$unpacked" && mkdir -p "$unpacked"
  tar -C "$unpacked" -xzf "$bundle/bundle.tar.gz" || { echo "gpu-check: cannot unpack $bundle/bundle.tar.gz" >&2; exit 2; }
  bundle=$unpacked
fi
[[ -x "$bundle/bin/tunebench" ]] || {
  echo "gpu-check: no bundle at $bundle (run tools/gpu-bundle.sh and carry gpu-bundle)" >&2
  exit 2
}
echo "==== machine ===="
cat /etc/os-release 2>/dev/null | grep -E '^(PRETTY_NAME|VERSION_ID)='
have_device=0
if command -v nvidia-smi >/dev/null && timeout 30 nvidia-smi >"$logs/nvidia-smi.log" 2>&1; then
  cat "$logs/nvidia-smi.log"
  timeout 20 nvidia-smi -L | grep -q '^GPU ' && have_device=1
else
  echo "nvidia-smi: not found or failed: no device visible"
fi
nvcc_bin=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
echo "nvcc: $([[ -n "$nvcc_bin" ]] && "$nvcc_bin" --version | tail -n 1 || echo 'not found')"
for tool in g++ cmake; do
  if command -v "$tool" >/dev/null; then echo "$tool: $("$tool" --version | head -n 1)"; else echo "$tool: not found"; fi
done
python=$(command -v python3 || true)
if [[ -n "$python" ]]; then
  echo "python3: $("$python" --version 2>&1); torch $(timeout 60 "$python" -c \
    'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null || echo 'not importable')"
else
  echo "python3: not found"
fi
echo "bundle: $(head -n 4 "$bundle/MANIFEST" | tail -n 3 | tr '\n' ' ')"

# cuBLAS: the device's own, from the CUDA toolkit or else from the nvidia-cublas wheel.
cublas_dir=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  compgen -G "$d/libcublas.so.*" >/dev/null && { cublas_dir=$d; break; }
done
if [[ -z "$cublas_dir" && -n "$python" ]]; then
  d=$("$python" -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
  [[ -n "$d" ]] && compgen -G "$d/libcublas.so.*" >/dev/null && cublas_dir=$d
fi
echo "cuBLAS: ${cublas_dir:-not found in /usr/local/cuda/lib64 nor in the nvidia-cublas wheel}"
libs="$bundle/lib${cublas_dir:+:$cublas_dir}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The device's C++ runtime, unless it is older than the one the bundle was built with.
if LD_LIBRARY_PATH=$libs ldd "$bundle/bin/tunebench" 2>&1 | grep -q "version \`GLIBCXX\|version \`GCC_"; then
  libs="$bundle/lib:$bundle/lib-fallback${libs#"$bundle/lib"}"
  echo "C++ runtime: the device's is older than the bundle's; using gpu-bundle/lib-fallback"
fi
export LD_LIBRARY_PATH=$libs
loads=1
for p in "$bundle"/bin/*; do
  out=$(ldd "$p" 2>&1)
  echo "ldd $(basename "$p"):"
  sed 's/^/    /' <<<"$out"
  if grep -q 'not found' <<<"$out"; then
    loads=0
    record FAIL "$(basename "$p") cannot load: $(grep 'not found' <<<"$out" | awk '{ print $1 }' | tr '\n' ' ')"
  fi
done
((loads)) && record PASS "every program's libraries are found"
# The tests find the checkout and the binary here, not where the bundle was built.
export TB_SOURCE_DIR=$root TB_BINARY_DIR=$bundle TB_TUNEBENCH_BIN=$bundle/bin/tunebench
# tunebench finds its built-in suites and data/ here, not where it was built.
export TUNEBENCH_ROOT=$root
tb=$bundle/bin/tunebench

# gpu_program NAME SECONDS [ARGS...]: one gpu test program, its doctest summary in the record.
gpu_program() {
  local name=$1 limit=$2
  shift 2
  step "$name" "$limit" "$bundle/bin/$name" --duration=true "$@"
  local status=$?
  local counts
  counts=$(grep -E '^\[doctest\] (test cases|assertions):' "$logs/$name.log" | tr -s ' ' | tr '\n' ';')
  case $status in
    0) record PASS "$name: $counts" ;;
    77) if ((have_device)); then record FAIL "$name skipped although a device is visible"
        else record SKIP "$name: no device (exit 77)"; fi ;;
    124) record FAIL "$name cut short; last case started: $(grep -E '^TEST CASE|^[0-9.]+ s: ' "$logs/$name.log" | tail -n 1)" ;;
    *) record FAIL "$name: exit $status; $counts" ;;
  esac
}

# ---- 1. gpu test programs ----------------------------------------------------------------------
echo "==== gpu tests ===="
mapfile -t gpu_tests < <(sed -n 's/^gpu tests: //p' "$bundle/MANIFEST" | tr ' ' '\n' | grep .)
for t in "${gpu_tests[@]}"; do
  case $t in
    test_cuda_parity) continue ;;  # after the eval comparison: it repeats some of it
    *) gpu_program "$t" 60 ;;
  esac
done

# ---- 2. tunebench eval on the CPU and on CUDA --------------------------------------------------
echo "==== eval: CPU against CUDA ===="
evals=$logs/eval
rm -rf "$evals" && mkdir -p "$evals"
suites="mtb,mmlu,abc-ppl,$root/tools/gpu-check-abc-gen-greedy.json"
devices=(cpu)
((have_device)) && devices+=(cuda)
for device in "${devices[@]}"; do
  ok=1
  for model in tiny-abc-llama tiny-mmm-gpt2; do
    if step "eval-$device-$model" 60 "$tb" eval --model "$root/data/models/$model" \
        --suite "$suites" --device "$device" --db "$evals/$device.sqlite" --json; then :; else
      ok=0
      record FAIL "tunebench eval --device $device on $model (see eval-$device-$model.log)"
    fi
  done
  ((ok)) && record PASS "tunebench eval --device $device of both models ($suites)"
done
if ((have_device)); then
  step eval-parity 60 "$bundle/bin/eval_parity" "$evals/cpu.sqlite" "$evals/cuda.sqlite"
  status=$?
  cat "$logs/eval-parity.log"
  verdict=$(grep '^eval_parity: [0-9]' "$logs/eval-parity.log" | sed 's/^eval_parity: //')
  ((status == 0)) && record PASS "CPU and CUDA evals agree: $verdict" ||
    record FAIL "CPU and CUDA evals: exit $status; $verdict"
else
  record SKIP "CUDA eval and its comparison: no device"
fi
for t in "${gpu_tests[@]}"; do
  [[ $t == test_cuda_parity ]] && gpu_program "$t" 90
done

# ---- 3. figures: bench_gpu and PyTorch, reported, never failed ----------------------------------
echo "==== figures ===="
for shape in llama2-7b mupt-1.3b; do
  step "bench-gpu-$shape" 90 "$bundle/bin/bench_gpu" "$shape"
  status=$?
  case $status in
    0) record PASS "bench_gpu $shape ran" ;;
    77) record SKIP "bench_gpu $shape: no device" ;;
    *) record FAIL "bench_gpu $shape: exit $status (see bench-gpu-$shape.log)" ;;
  esac
  while read -r _ name value rest; do
    record INFO "$shape $name = $value $rest"
  done < <(grep '^figure ' "$logs/bench-gpu-$shape.log" 2>/dev/null)
  while read -r _ verdict what; do
    record INFO "$shape target $([[ $verdict == PASS ]] && echo met || echo 'not met'): $what"
  done < <(grep '^target ' "$logs/bench-gpu-$shape.log" 2>/dev/null)
done
if [[ -n "$python" ]]; then
  step torch 120 "$python" tools/gpu_bench_torch.py llama2-7b mupt-1.3b
  status=$?
  grep -E '^torch' "$logs/torch.log" 2>/dev/null | sed 's/^/  /'
  ((status == 77)) && record SKIP "PyTorch reference: $(sed -n 's/^torch_skip //p' "$logs/torch.log")"
  # tunebench against transformers' sdpa and eager on each shape (target: 1.5x sdpa).
  for shape in llama2-7b mupt-1.3b; do
    ours=$(sed -n 's/^figure prefill_seconds \([0-9.e+-]*\).*/\1/p' "$logs/bench-gpu-$shape.log" 2>/dev/null)
    for impl in sdpa eager; do
      theirs=$(sed -n "s/^torch_prefill_seconds $shape $impl \([0-9.e+-]*\).*/\1/p" "$logs/torch.log")
      [[ -n "$ours" && -n "$theirs" ]] || continue
      record INFO "$shape prefill vs transformers $impl: $(awk -v a="$theirs" -v b="$ours" \
        'BEGIN { printf "%.2fx", a / b }') (torch ${theirs}s, tunebench ${ours}s; target >= 1.5x sdpa)"
    done
  done
else
  record SKIP "PyTorch reference: no python3"
fi

# ---- summary -----------------------------------------------------------------------------------
echo
echo "==== gpu-check summary (${SECONDS}s, logs in $logs) ===="
json=$logs/summary.json
{
  printf '{"seconds": %d, "device": %d, "failed": %d, "results": [' "$SECONDS" "$have_device" "$failed"
  sep=""
  for line in "${summary[@]}"; do
    status=${line%%|*}
    what=${line#*|}
    what=${what//\\/\\\\}
    what=${what//\"/\\\"}
    what=$(tr -d '\000-\037' <<<"$what")
    printf '%s\n  {"status": "%s", "what": "%s"}' "$sep" "$status" "$what"
    sep=","
  done
  printf '\n]}\n'
} >"$json"
for line in "${summary[@]}"; do printf '%-5s %s\n' "${line%%|*}" "${line#*|}"; done
if ((failed)); then
  echo "gpu-check: FAILED (a test or the CPU/CUDA comparison)"
  exit 1
fi
echo "gpu-check: every test passed (figures above are information)"
