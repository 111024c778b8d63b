#!/usr/bin/env bash
# The main job on the bundled tiny models and the sample suites: installs what is missing,
# builds, evaluates tiny-abc-llama on MusicTheoryBench (0- and 5-shot), MMLU and ABC perplexity,
# generates a few tunes with each bundled model (abc-gen-quick, mmm-gen-quick), profiles
# tiny-abc-llama's prefill and decode, all into tunebench.sqlite, prints the runs, and writes the
# leaderboard report (report.html, with engraved scores and MIDI in report_files/).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target tunebench
tb=build/runners/tunebench
$tb eval --model data/models/tiny-abc-llama --suite mtb,mtb-5shot,mmlu,abc-ppl --db tunebench.sqlite
$tb eval --model data/models/tiny-abc-llama --suite abc-gen-quick --limit 8 --db tunebench.sqlite
$tb eval --model data/models/tiny-mmm-gpt2 --suite mmm-gen-quick --limit 8 --db tunebench.sqlite
$tb profile --model data/models/tiny-abc-llama -p 128 -n 32 -r 3 --db tunebench.sqlite
$tb runs --db tunebench.sqlite
$tb report --db tunebench.sqlite -o report.html
echo "Open $(pwd)/report.html in a browser."
