#!/usr/bin/env bash
# tunebench against llama.cpp on the same F32 random weights (issue 16), interleaved, 1 and 2
# threads: prefill with logits for every token (llama-perplexity 8 x 512 against `tunebench
# score --context 512` on 4095 tokens + BOS) and decode (llama-bench tg128 against `tunebench
# profile -n 128`), then tunebench's pp512 x 8 (its TFLOP/s against score's FLOPs / wall time).
#
# Set-up, outside the repository (nothing of it is committed):
#   llama.cpp: the search tool's fetch of ggerganov/llama.cpp (c392e5094), then
#     cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#     cmake --build build --target llama-bench llama-perplexity
#   venv with Debian's torch: python3 -m venv --system-site-packages venv;
#     venv/bin/pip install safetensors sentencepiece tqdm pyyaml transformers
#   checkpoints: python3 make_checkpoint.py data/shapes/llama-24m.json $WORK/llama-24m (and
#     mupt-110m); venv/bin/python3 convert_with_old_torch.py $LLAMA/convert_hf_to_gguf.py
#     $WORK/llama-24m --outtype f32 --outfile $WORK/llama-24m.gguf
#   texts: text_4095.txt (4095 LLaMA-2 tokens of Nottingham ABC) and text_long.txt (more).
# Usage: run.sh WORK_DIR LLAMA_CPP_DIR TUNEBENCH_BIN
set -u  # a failed step prints nothing and the next one runs
cd "$1"
LP="$2/build/bin" TB="$3"
# CASES: "THREADS:MODEL ..." in the order to run them (default: both models at 1 then 2 threads, twice).
CASES=${CASES:-"1:llama-24m 1:mupt-110m 2:llama-24m 2:mupt-110m 1:llama-24m 1:mupt-110m 2:llama-24m 2:mupt-110m"}
for case in $CASES; do
  t=${case%%:*} m=${case#*:}
  {
      echo "== threads $t model $m $(date -u +%T)"
      $LP/llama-perplexity -m $m.gguf -f text_long.txt -c 512 -b 512 --chunks 8 -t $t 2>&1 |
        grep "prompt eval time" | sed "s/^/LPPL $m t$t: /"
      $TB score --model $m --context 512 --threads $t --json text_4095.txt 2>/dev/null |
        python3 -c "import json,sys; c=json.load(sys.stdin)['corpus']; print('TBSCORE $m t$t:', c['tokens'], 'tokens', c['seconds'], 's', c['tokens']/c['seconds'], 'tok/s')"
      $LP/llama-bench -m $m.gguf -p 0 -n 128 -t $t -r 3 -o csv 2>/dev/null |
        python3 -c "import csv,sys; r=list(csv.DictReader(sys.stdin))[-1]; print('LBTG $m t$t:', r['avg_ts'], '+-', r['stddev_ts'], 'tok/s')"
      $TB profile --model $m -p 0 -n 128 -r 3 --warmup 1 --threads $t -o csv --no-store \
        2>/dev/null | tail -1 | cut -d, -f1,2,26,27 | sed "s/^/TBTG $m t$t: /"
      $TB profile --model $m -p 512 -n 0 -b 8 -r 1 --warmup 1 --threads $t -o csv --no-store \
        2>/dev/null | tail -1 | cut -d, -f1,2,9,24,26,27 | sed "s/^/TBPP $m t$t: /"
  }
done
echo "== end $(date -u +%T)"
