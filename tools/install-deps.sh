#!/usr/bin/env bash
# Installs the Debian packages tunebench builds, tests and runs with, when any is missing.
# Usage: tools/install-deps.sh [--test | --list]   (--test adds the reference tools the tests
# use; --list prints the build packages, one per line, for tools/gpu-check*.sh, and exits)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libfmt-dev nlohmann-json3-dev libsqlite3-dev libcli11-dev libpcre2-dev
  libopenblas-openmp-dev libsentencepiece-dev libminizip-dev
  doctest-dev libbenchmark-dev
  libpugixml-dev libzip-dev
  abcmidi abcm2ps
)
if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
if [[ "${1:-}" == "--test" ]]; then
  # Independent references: PyTorch for logits, sentencepiece for tokenizer files, abc2midi.
  packages+=(python3 python3-torch python3-numpy python3-sentencepiece python3-mido)
  # The report as a reader sees it (tests/e2e/test_report_chromium.sh).
  packages+=(chromium)
  # A real MPI launcher for the sharding test (mpirun -np 4; tests/e2e/test_shards.sh).
  packages+=(openmpi-bin)
  # libFuzzer (tools/run-fuzz.sh): clang and its runtime libraries with the fuzzer and sanitizers.
  packages+=(clang libclang-rt-14-dev ninja-build)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "tunebench: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
