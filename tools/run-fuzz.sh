#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) and runs each for a fixed time.
# Usage: tools/run-fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default: 15 seconds, every target)
#   TB_FUZZ_JOBS=N runs N targets at once (default 1: the machine may be shared).
#   TB_FUZZ_TIMEOUT=S: an input running longer than S seconds (wall clock) is a finding
#   (default 10; raise it on a machine so loaded that a niced process waits for the CPU).
#   tools/run-fuzz.sh 3600            # an hour each, for a long campaign
#   tools/run-fuzz.sh 600 fuzz_abc    # ten minutes of one target
# Seed corpora: the committed tests/fuzz/seeds/<name>/ plus, when ../shared/data is there, real
# files from it, copied into build-fuzz/corpus/ (never into the repository); what a run finds is
# kept there for the next. A finding (crash, leak, an input over 10 s or 2.5 GB) is written to
# build-fuzz/fuzz-artifacts/ and makes the script fail. Prints executions and coverage per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
shift || true
build=${TB_FUZZ_BUILD:-build-fuzz}
shared=${TB_SHARED_DIR:-../shared}/data

if [[ -z "${TB_FUZZ_SKIP_BUILD:-}" ]]; then  # set it to rerun the targets already built
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTUNEBENCH_FUZZ=ON -DTUNEBENCH_CUDA=OFF -DTUNEBENCH_BENCHMARKS=OFF -DTUNEBENCH_NATIVE=OFF \
    >/dev/null
  cmake --build "$build" -j"$(nproc)" --target fuzz_targets
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(fuzz_abc fuzz_midi fuzz_musicxml fuzz_mmm fuzz_pvdt fuzz_safetensors fuzz_model_config
           fuzz_torch_checkpoint fuzz_tokenizer_json fuzz_vocab_merges fuzz_sentencepiece fuzz_mmlu fuzz_mtb
           fuzz_suite_spec)
fi

# Copies at most `count` files matching `pattern` under `dir` into the corpus `to`, prefixing
# each with `prefix` (bytes the target reads first), skipping files over 256 KiB.
add_shared() {
  local to=$1 dir=$2 pattern=$3 count=$4 prefix=${5:-}
  [[ -d "$dir" ]] || return 0
  find "$dir" -type f -name "$pattern" -size -256k | sort | head -n "$count" |
    while read -r f; do
      { printf '%b' "$prefix"; cat "$f"; } >"$to/shared-$(basename "$f")"
    done
}

make_corpus() {
  local name=${1#fuzz_} corpus=$build/corpus/$1
  mkdir -p "$corpus"
  cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
  case $name in
    abc) add_shared "$corpus" "$shared/abc" '*.abc' 40 ;;
    midi) add_shared "$corpus" "$shared/midi" '*.mid' 40 ;;
    musicxml) cp -n data/golden/musicxml/*.musicxml "$corpus"/ 2>/dev/null || true ;;
    mmlu) add_shared "$corpus" "$shared/mmlu/dev" '*.csv' 20 '\0' ;;
    mtb) add_shared "$corpus" "$shared/musictheorybench" '*.json*' 4 ;;
    sentencepiece) add_shared "$corpus" "$shared/tokenizers/llama2-spm" '*.model' 1 ;;
    suite_spec) cp -n suites/specs/*.json "$corpus"/ ;;
    # The MMM and p:v:d:t corpora start from the committed seeds only (their texts are derived).
  esac
}

mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
jobs=${TB_FUZZ_JOBS:-1}

# Runs one target for the time given; its exit status lands in the log directory.
run_target() {
  local t=$1 log=$build/fuzz-logs/$1.log rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/tests/fuzz/$t" "$build/corpus/$t" -max_total_time="$seconds" \
    -timeout="${TB_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2560 -max_len=262144 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$t-" >"$log" 2>&1 || rc=$?
  echo "$rc" >"$build/fuzz-logs/$t.rc"
}

for t in "${targets[@]}"; do
  make_corpus "$t"
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n || true; done
  run_target "$t" &
done
wait

status=0
printf '%-22s %12s %8s %8s  %s\n' target executions cov ft result
for t in "${targets[@]}"; do
  log=$build/fuzz-logs/$t.log
  rc=$(cat "$build/fuzz-logs/$t.rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  result=ok
  if [[ $rc -ne 0 ]]; then
    result="FINDING (exit $rc; see $log)"
    status=1
  fi
  printf '%-22s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $status
