#!/usr/bin/env bash
# The main job on the bundled tiny model and the sample suites: installs what is missing,
# builds, evaluates tiny-abc-llama on MusicTheoryBench (0- and 5-shot), MMLU and ABC perplexity
# into tunebench.sqlite, and prints the metric tables.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target tunebench
build/runners/tunebench eval --model data/models/tiny-abc-llama \
  --suite mtb,mtb-5shot,mmlu,abc-ppl --db tunebench.sqlite
build/runners/tunebench runs --db tunebench.sqlite
