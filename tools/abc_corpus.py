"""ABC tune corpus for the bundled tiny-abc-llama model: extraction and the held-out split.

The extraction rules are the contract with every test that re-extracts held-out tunes from
../shared/data/abc (the tune texts are never committed), so they are kept deliberately simple:

1. Collections, in this order: nottingham, oneills1850, airds-airs; within each, the `*.abc`
   files sorted by name (bytewise). Files are ASCII; read as UTF-8, `\\r` removed.
2. A tune starts at a line beginning with `X:`. Its `index` is the 0-based count of `X:` lines
   before it in the same file; its X number is the text after `X:` with spaces stripped.
3. Lines whose first character is `%` (comments and `%%` directives) are dropped everywhere.
4. The tune ends before the first following line that is empty after stripping trailing
   whitespace (the ABC 2.1 end-of-tune rule), before the next `X:` line, or at end of file.
5. Every kept line has its trailing whitespace (spaces, tabs) removed; the tune text is the
   lines joined with `\\n` plus one final `\\n`.

Held-out split: the 5% of tunes (rounded to nearest) with the smallest
sha256("<relpath>\\t<X number>\\t<index>") (hex digest order), where relpath is the path relative
to shared/data/abc, e.g. `nottingham/jigs.abc`. Training tunes whose text, without its X: line,
equals a held-out tune's text without its X: line (O'Neill's has overlapping files) are dropped
from training so that no held-out tune is seen verbatim.

Usage: /usr/bin/python3 tools/abc_corpus.py [--abc-root DIR] [--heldout]
prints a summary, or (with --heldout) the held-out tunes' texts separated by blank lines.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

COLLECTIONS = ("nottingham", "oneills1850", "airds-airs")
HELDOUT_FRACTION = 0.05


@dataclass(frozen=True)
class Tune:
    relpath: str  # relative to shared/data/abc
    xnum: str  # text after "X:", stripped
    index: int  # 0-based ordinal of the X: line within its file
    text: str  # normalised tune text ending in "\n"

    def key(self) -> str:
        return f"{self.relpath}\t{self.xnum}\t{self.index}"

    def body(self) -> str:
        """The text without its X: line (to detect the same tune under another number)."""
        return self.text.split("\n", 1)[1]


def default_abc_root() -> Path:
    here = Path(__file__).resolve().parent.parent
    return here.parent / "shared" / "data" / "abc"


def tunes_in_text(relpath: str, content: str) -> list[Tune]:
    tunes: list[Tune] = []
    lines = content.replace("\r", "").split("\n")
    current: list[str] | None = None
    index = -1

    def finish() -> None:
        nonlocal current
        if current is not None:
            xnum = current[0][2:].strip()
            tunes.append(Tune(relpath, xnum, index, "\n".join(current) + "\n"))
        current = None

    for raw in lines:
        if raw.startswith("%"):
            continue
        line = raw.rstrip(" \t")
        if line.startswith("X:"):
            finish()
            index += 1
            current = [line]
        elif current is not None:
            if line == "":
                finish()
            else:
                current.append(line)
    finish()
    return tunes


def load_tunes(abc_root: Path | None = None) -> list[Tune]:
    root = Path(abc_root) if abc_root else default_abc_root()
    tunes: list[Tune] = []
    for coll in COLLECTIONS:
        files = sorted(os.listdir(root / coll))
        for name in files:
            if not name.endswith(".abc"):
                continue
            relpath = f"{coll}/{name}"
            content = (root / relpath).read_text(encoding="utf-8")
            tunes.extend(tunes_in_text(relpath, content))
    return tunes


def split_tunes(tunes: list[Tune]) -> tuple[list[Tune], list[Tune]]:
    """Returns (train, heldout); heldout in corpus order."""
    n_held = round(HELDOUT_FRACTION * len(tunes))
    digests = sorted((hashlib.sha256(t.key().encode()).hexdigest(), i) for i, t in enumerate(tunes))
    held_ids = {i for _, i in digests[:n_held]}
    heldout = [t for i, t in enumerate(tunes) if i in held_ids]
    held_bodies = {t.body() for t in heldout}
    train = [t for i, t in enumerate(tunes) if i not in held_ids and t.body() not in held_bodies]
    return train, heldout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abc-root", type=Path, default=None)
    ap.add_argument("--heldout", action="store_true")
    args = ap.parse_args()
    tunes = load_tunes(args.abc_root)
    train, held = split_tunes(tunes)
    if args.heldout:
        print("\n".join(t.text for t in held), end="")
        return
    print(f"tunes {len(tunes)} train {len(train)} heldout {len(held)} "
          f"dropped-duplicates {len(tunes) - len(train) - len(held)}")
    print(f"chars train {sum(len(t.text) for t in train)} heldout {sum(len(t.text) for t in held)}")


if __name__ == "__main__":
    main()
