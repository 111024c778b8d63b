#!/bin/bash
# Sharded evaluation: 4 shards under a real `mpirun -np 4` and 4 shards given the Slurm
# variables by hand (SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID, as srun sets them), each merged,
# give exactly the samples and metrics of one process; merging shards of different runs or
# overlapping shards is refused with exit code 2.
# Usage: test_shards.sh TUNEBENCH MODEL_DIR WORK_DIR. Exit 77 (skip) when mpirun is missing.
set -euo pipefail
tunebench=$1 model=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
common=(--model "$model" --suite mtb,abc-ppl --limit 3 --chunk-docs 2 --threads 1)

"$tunebench" eval "${common[@]}" --db single.sqlite >/dev/null 2>&1

# Samples (every stored field but the row order, which depends on the shards) and metrics.
dump() {
  python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
runs = {i: k for i, k in db.execute("SELECT id, run_key FROM runs")}
for row in db.execute("SELECT run_id, doc_id, subset, doc_hash, prompt_hash, target_hash, "
                      "option_scores, prediction, gold, values_json, response, doc_json "
                      "FROM samples ORDER BY run_id, doc_id"):
    print("sample", runs[row[0]], *row[1:])
for row in db.execute("SELECT run_id, name, subset, value, stderr, n, higher_is_better "
                      "FROM metrics ORDER BY run_id, name, subset"):
    print("metric", runs[row[0]], *row[1:])
for row in db.execute("SELECT status FROM runs ORDER BY id"):
    print("status", *row)
PY
}
dump single.sqlite > single.txt
[[ $(grep -c '^sample' single.txt) -gt 4 && $(grep -c '^metric' single.txt) -gt 4 ]] ||
  { echo "too few samples or metrics in single.txt"; exit 1; }

check_merged() {  # $1: label, $2...: shard files
  local label=$1; shift
  [[ $# -eq 4 ]] || { echo "$label: expected 4 shard stores, found $#: $*"; exit 1; }
  "$tunebench" merge "$label.sqlite" "$@" >/dev/null
  dump "$label.sqlite" > "$label.txt"
  if ! diff -u single.txt "$label.txt"; then echo "$label: merged shards differ from one process"; exit 1; fi
  echo "$label: 4 shards merged = one process ($(grep -c '^sample' "$label.txt") samples)"
}

# Slurm, variables set by hand (no slurmctld here): what srun -n 4 gives each task.
for k in 0 1 2 3; do
  SLURM_PROCID=$k SLURM_NTASKS=4 SLURM_LOCALID=$k \
    "$tunebench" eval "${common[@]}" --db slurm.sqlite >/dev/null 2>"slurm.$k.err" &
done
wait
grep -q "shard 2 of 4 (Slurm)" slurm.2.err || { cat slurm.2.err; exit 1; }
check_merged slurm slurm.shard-*-of-4.sqlite

# Overlapping shards and shards of different runs: exit 2 with a message, OUT untouched.
set +e
"$tunebench" merge overlap.sqlite slurm.shard-0-of-4.sqlite slurm.shard-0-of-4.sqlite 2>overlap.err
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "overlapping shards" overlap.err || { echo "overlap: rc $rc"; cat overlap.err; exit 1; }
[[ ! -e overlap.sqlite ]] || { echo "overlap: output written"; exit 1; }
"$tunebench" eval --model "$model" --suite mtb --limit 2 --chunk-docs 2 --threads 1 \
  --shard 1/4 --db other.sqlite >/dev/null 2>&1
set +e
"$tunebench" merge different.sqlite slurm.shard-0-of-4.sqlite other.shard-1-of-4.sqlite 2>different.err
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "shards of different runs" different.err || { echo "different: rc $rc"; cat different.err; exit 1; }
echo "refused: $(cat overlap.err) / $(cat different.err)"

if ! command -v mpirun >/dev/null; then echo "mpirun not installed: skipping the MPI half"; exit 77; fi
mpirun -np 4 --allow-run-as-root --oversubscribe \
  "$tunebench" eval "${common[@]}" --db mpi.sqlite >/dev/null 2>mpi.err || { cat mpi.err; exit 1; }
grep -q "(OpenMPI)" mpi.err || { cat mpi.err; exit 1; }
check_merged mpi mpi.shard-*-of-4.sqlite
