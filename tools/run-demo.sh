#!/usr/bin/env bash
# The main job on the bundled tiny model and sample data: installs what is missing, builds, and
# scores the sample tunes with tiny-abc-llama.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target tunebench
build/runners/tunebench score --model data/models/tiny-abc-llama --eos data/samples/tunes.abc
