"""Writes the held-out sequences of the bundled models as text files, one per sequence, so that
`tunebench score` can be checked against the PyTorch figures in reference_ppl.json.

    /usr/bin/python3 tools/extract_heldout.py OUT_DIR

OUT_DIR/tiny-abc-llama/NNNN.abc: the held-out tunes listed in data/models/tiny-abc-llama/
heldout.tsv, re-extracted from ../shared/data/abc in the model-text form that
tools/train_tiny_models.py scores (tools/abc_corpus.py).
OUT_DIR/tiny-mmm-gpt2/NNNN.txt: the MMM samples of the chorales listed in
data/models/tiny-mmm-gpt2/heldout.tsv (tools/mmm.py). Writes nothing when ../shared is absent.
"""

import csv
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

import abc_corpus  # noqa: E402

REPO = TOOLS.parent
SHARED = REPO.parent / "shared" / "data"


def rows(tsv: Path) -> list[dict]:
    with open(tsv, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def fresh_dir(path: Path, pattern: str) -> Path:
    """path, emptied of files matching pattern: a reused build directory must not keep the
    sequences of an earlier, longer held-out list (they would be scored too)."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob(pattern):
        old.unlink()
    return path


def main() -> None:
    out = Path(sys.argv[1])
    if not SHARED.is_dir():
        print(f"{SHARED} absent: nothing extracted")
        return
    abc_list = REPO / "data/models/tiny-abc-llama/heldout.tsv"
    if abc_list.exists():
        abc_out = fresh_dir(out / "tiny-abc-llama", "*.abc")
        tunes = {(t.relpath, t.xnum, str(t.index)): t for t in abc_corpus.load_tunes(SHARED / "abc")}
        for n, row in enumerate(rows(abc_list)):
            tune = tunes[(row["path"], row["x"], row["index"])]
            (abc_out / f"{n:04d}.abc").write_text(tune.model_text(), encoding="utf-8")

    mmm_list = REPO / "data/models/tiny-mmm-gpt2/heldout.tsv"
    if not mmm_list.exists():
        return
    import mmm  # needs mido; only the MMM part does

    mmm_out = fresh_dir(out / "tiny-mmm-gpt2", "*.txt")
    n = 0
    for row in rows(mmm_list):
        samples = mmm.encode_file(SHARED / "midi" / row["path"])
        if len(samples) != int(row["samples"]):
            raise SystemExit(f"{row['path']}: {len(samples)} samples, heldout.tsv says {row['samples']}")
        for sample in samples:
            (mmm_out / f"{n:04d}.txt").write_text(sample, encoding="utf-8")
            n += 1


if __name__ == "__main__":
    main()
