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

Model text (`Tune.model_text()`): what tiny-abc-llama is trained and evaluated on, the tune
reduced to its music in one canonical layout, so that a 2.7M-parameter model learns to write
complete headers instead of free-text fields:

6. Header: only X:, T:, R:, M:, L: and K: are kept (the first of each), in that order, values
   stripped (`M: 6/8` -> `M:6/8`). A missing L: gets the ABC 2.1 default: 1/16 when the meter
   is below 3/4, else 1/8 (abc2midi applies the same rule). Every other header field (N:, B:,
   Z:, S:, I:, Q:, ...) is dropped.
7. Body: K:, L: and M: field lines are kept (values stripped), every other field line (w:, W:,
   P:, N:, I:, ...) is dropped; in music lines each run of spaces or tabs becomes one space and
   leading spaces go (ABC 2.1: spacing only affects beaming); lines left empty are dropped.

Held-out split: the 5% of tunes (rounded to nearest) with the smallest
sha256("<relpath>\\t<X number>\\t<index>") (hex digest order), where relpath is the path relative
to shared/data/abc, e.g. `nottingham/jigs.abc`. Training tunes whose text, without its X: line,
equals a held-out tune's text without its X: line (O'Neill's has overlapping files) are dropped
from training so that no held-out tune is seen verbatim.

Usage: /usr/bin/python3 tools/abc_corpus.py [--abc-root DIR] [--heldout]
prints a summary, or (with --heldout) the held-out tunes' model texts separated by blank lines.
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

    def model_text(self) -> str:
        """The tune in the canonical layout the model sees (rules 6 and 7 above)."""
        return model_text(self.text)

    def body(self) -> str:
        """The text without its X: line (to detect the same tune under another number)."""
        return self.text.split("\n", 1)[1]


HEADER_KEPT = ("X", "T", "R", "M", "L", "K")
BODY_FIELDS_KEPT = ("K", "L", "M")


def is_field_line(line: str) -> bool:
    return len(line) >= 2 and line[1] == ":" and line[0].isascii() and line[0].isalpha()


def default_unit_length(meter: str) -> str:
    """ABC 2.1 section 3.1.7: L: defaults to 1/16 when the meter is below 0.75, else 1/8."""
    meter = meter.strip()
    if meter in ("C", "C|") or "/" not in meter:
        return "1/8"
    num, _, den = meter.partition("/")
    try:
        value = sum(int(n) for n in num.split("+")) / int(den)
    except (ValueError, ZeroDivisionError):
        return "1/8"
    return "1/16" if value < 0.75 else "1/8"


def model_text(text: str) -> str:
    header: dict[str, str] = {}
    body: list[str] = []
    in_header = True
    for line in text.split("\n"):
        field = is_field_line(line)
        if in_header and field:
            key = line[0]
            if key in HEADER_KEPT and key not in header:
                header[key] = line[2:].strip()
            in_header = key != "K"
            continue
        in_header = False
        if field:
            if line[0] in BODY_FIELDS_KEPT:
                body.append(f"{line[0]}:{line[2:].strip()}")
            continue
        music = " ".join(line.split())
        if music:
            body.append(music)
    header.setdefault("L", default_unit_length(header.get("M", "")))
    lines = [f"{k}:{header[k]}" for k in HEADER_KEPT if k in header]
    return "\n".join(lines + body) + "\n"


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
        print("\n".join(t.model_text() for t in held), end="")
        return
    print(f"tunes {len(tunes)} train {len(train)} heldout {len(held)} "
          f"dropped-duplicates {len(tunes) - len(train) - len(held)}")
    print(f"chars train {sum(len(t.text) for t in train)} heldout {sum(len(t.text) for t in held)}")


if __name__ == "__main__":
    main()
