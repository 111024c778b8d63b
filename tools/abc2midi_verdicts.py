#!/usr/bin/python3
"""abc2midi's verdicts on every tune of ../shared/data/abc: the reference for metrics/abc.

Command that wrote data/golden/abc/abc2midi_verdicts.tsv (abcmidi 20230208, abc2midi 4.84):

    /usr/bin/python3 tools/abc2midi_verdicts.py /work/shared/data/abc \
        data/golden/abc/abc2midi_verdicts.tsv

Tunes are split as metrics/abc/tune_split does it: a tune starts at a line beginning with "X:"
and ends at the first blank line (or the next "X:" line, or the end of the file). Each tune is
written alone to a temporary file and run as `abc2midi FILE -c -NFER` (-c: check only, -NFER:
fermatas do not lengthen notes); abc2midi always exits 0, so its stdout is parsed.

Key: relative path + ":" + the X: number (+ "#k" for the k-th repeat of a number in one file).

Verdicts:
  tier1 = 1 when abc2midi printed no "Error" line, except errors that are abc2midi's own playback
          or naming checks rather than ABC 2.1 syntax (listed in NOT_SYNTAX below: chord-symbol
          names it cannot voice, unknown I: keys, R:hornpipe meter, ties it
          cannot resolve across repeats, broken rhythm on unequal notes).
  tier3 = 1 when tier1 holds and abc2midi printed no "Bar N has ... time units" warning and no
          repeat error ("Missing :|", "found [1 or like before |:", "Expected end repeat").
The remaining columns keep abc2midi's first error and first bar warning for the reasons list.

Second use, after test_abc has run (it writes the tunes where metrics/abc and abc2midi disagree
to BUILD/abc_disagreements_found.tsv): give each disagreement its reason, by the category of
abc2midi's message and of metrics/abc's first diagnostic:

    /usr/bin/python3 tools/abc2midi_verdicts.py --reasons build-abc/abc_disagreements_found.tsv \
        data/golden/abc/abc2midi_verdicts.tsv data/golden/abc/disagreements.tsv
"""
import os
import re
import subprocess
import sys
import tempfile

NOT_SYNTAX = (
    "Guitar chord does not start",
    "Unrecognized chord name",
    "I: key",
    "Hornpipe must be in",
    "Could not find note to be tied",
    "Cannot find note before tie",
    "Cannot apply broken rhythm",
)
REPEAT_ERRORS = ("Missing :|", "found [1 or like before |:", "Expected end repeat",
                 "found another |: after a |:")


def split_tunes(text):
    """(first line number, X number, tune text) for each tune of one file."""
    tunes, cur, start, xnum = [], None, 0, ""
    for i, line in enumerate(text.split("\n"), start=1):
        if line.startswith("X:"):
            if cur is not None:
                tunes.append((start, xnum, "\n".join(cur) + "\n"))
            cur, start, xnum = [line], i, line[2:].strip()
        elif cur is not None:
            if line.strip() == "":
                tunes.append((start, xnum, "\n".join(cur) + "\n"))
                cur = None
            else:
                cur.append(line)
    if cur is not None:
        tunes.append((start, xnum, "\n".join(cur) + "\n"))
    return tunes


def verdict(out):
    err, bar, rep = "", "", ""
    for line in out.splitlines():
        if line.startswith("Error"):
            msg = line.split(":", 1)[1].strip() if ":" in line else line
            if any(r in line for r in REPEAT_ERRORS):
                rep = rep or line
            elif not any(n in line for n in NOT_SYNTAX):
                err = err or line
        elif line.startswith("Warning") and re.search(r"Bar \d+ has", line):
            bar = bar or line
    tier1 = 0 if err else 1
    tier3 = 1 if tier1 and not bar and not rep else 0
    return tier1, tier3, err, bar or rep


# (test on abc2midi's message or on ours, reason), first match wins.
REASONS = [
    ("ours", "missing-key", "a line before K: that is not a field (a Q: value without its 'Q:', "
     "free text): abc2midi skips it, metrics/abc reports music before K:"),
    ("theirs", "Intervening note needed between grace", "abc2midi cannot play a grace group "
     "that is not followed by a note of its own (its playback limit); the ABC is valid"),
    ("theirs", "Bad pitch specifier ,", "abc2midi rejects ',' after a lower-case note "
     "(e.g. 'c,'), which ABC 2.1 allows (known abc2midi gap)"),
    ("theirs", "Malformed note", "abc2midi rejects a decoration not directly before a note "
     "(user-defined !..! decorations with '-' or '(' in them, '.-' dotted ties); metrics/abc "
     "accepts the ABC 2.1 forms"),
    ("theirs", "Unknown mode", "K: with explicit accidentals or a mode abc2midi does not know; "
     "ABC 2.1 allows accidentals after the key"),
    ("theirs", "Sustained notes beyond end of track", "abc2midi playback error (a tie or "
     "sustained note at the end of a voice), not a notation fault"),
    ("theirs", "part specification", "abc2midi rejects lower-case letters in a P: part order; "
     "not a music fault"),
    ("theirs", "Voice ID", "abc2midi rejects a space in a V: id; metrics/abc reads the id as "
     "the first word"),
    ("theirs", "Rolls and trills not supported in chords", "abc2midi cannot play a roll/trill "
     "on a chord (playback limit); metrics/abc finds a bar of the wrong length there"),
    ("theirs", "P: field in header should go after K:", "abc2midi requires P: after K:, ABC 2.1 "
     "allows P: in the header; metrics/abc finds a bar of the wrong length"),
    ("theirs", "|: after a |:", "repeat signs abc2midi reads differently (runs like '|:|||:' "
     "split into several bar lines); metrics/abc finds the repeats balanced"),
    ("theirs", "Expected end repeat not found", "repeat signs abc2midi reads differently (runs "
     "like '::' or '|:' inside endings); metrics/abc finds the repeats balanced"),
    ("theirs", "found :: before |:", "'::' with no '|:' before it: abc2midi reports it, "
     "metrics/abc reads it as an end and a start repeat (ABC 2.1)"),
    ("ours", "first ending after", "a first ending after ':|' with no new '|:': abc2midi's "
     "fixreps() patches it silently here (it reports only the tune's first such ending)"),
    ("ours", "bad-field", "'M:2' (a meter without denominator) is not ABC 2.1; abc2midi "
     "accepts it"),
    ("ours", "empty-chord", "'[]' (an abcm2ps spacer extension) is an empty chord in ABC 2.1; "
     "abc2midi ignores it"),
    ("ours", "nested-chord", "nested chord brackets that abc2midi tolerates"),
    ("ours", "unbalanced-repeat", "'|:' never closed by ':|'; abc2midi reports another fault "
     "first (see abc2midi_first)"),
]


def reasons(found_path, verdicts_path, out_path):
    ref = {}
    with open(verdicts_path, encoding="utf-8") as f:
        for line in f.read().split("\n")[1:]:
            if line:
                c = line.split("\t")
                ref[c[0]] = c
    rows = []
    with open(found_path, encoding="utf-8") as f:
        for line in f.read().split("\n")[1:]:
            if not line:
                continue
            key, a1, a3, o1, o3, ours = line.split("\t")[:6]
            theirs = ref[key][4] or ref[key][5]
            reason = None
            for side, pattern, text in REASONS:
                if pattern in (ours if side == "ours" else theirs):
                    reason = text
                    break
            if reason is None and o1 == "0" and a1 == "1":
                reason = ("metrics/abc finds a notation fault abc2midi ignores (a '>' with no "
                          "note after it, a decoration on nothing) besides the bar lengths")
            if reason is None and "Bar" in theirs and o3 == "1":
                reason = ("abc2midi's bar-length warning comes from its playback of inline "
                          "voice switches, parts or endings ('[V:1]' lines, P: orders, endings "
                          "in mid-bar) that metrics/abc measures per voice without that quirk")
            if reason is None and o3 == "0" and a3 == "1":
                reason = ("a bar of the wrong length that abc2midi does not report: its check "
                          "joins short bars across '||', '|]' or voice switches; metrics/abc "
                          "measures them")
            if reason is None:
                reason = ("both find faults at different tiers: abc2midi a notation error, "
                          "metrics/abc a bar of the wrong length")
            verdicts = f"abc2midi t1={a1} t3={a3}; metrics/abc t1={o1} t3={o3}"
            rows.append("\t".join([key, reason, verdicts, ours, theirs]))
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("key\treason\tverdicts\tour_first_diagnostic\tabc2midi_first\n")
        f.write("\n".join(rows) + "\n")
    print(f"{len(rows)} disagreements")


def main():
    if sys.argv[1] == "--reasons":
        reasons(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    root, out_path = sys.argv[1], sys.argv[2]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tune.abc")
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if not name.endswith(".abc"):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                with open(full, encoding="latin-1") as f:
                    text = f.read()
                seen = {}
                for start, xnum, tune in split_tunes(text):
                    seen[xnum] = seen.get(xnum, 0) + 1
                    key = f"{rel}:{xnum}" + (f"#{seen[xnum]}" if seen[xnum] > 1 else "")
                    with open(path, "w", encoding="latin-1") as f:
                        f.write(tune)
                    res = subprocess.run(["abc2midi", path, "-c", "-NFER"], cwd=tmp,
                                         capture_output=True, text=True, encoding="latin-1")
                    t1, t3, err, bar = verdict(res.stdout)
                    clean = lambda s: s.replace("\t", " ")
                    rows.append(f"{key}\t{start}\t{t1}\t{t3}\t{clean(err)}\t{clean(bar)}")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("key\tline\ttier1\ttier3\tfirst_error\tfirst_bar_or_repeat\n")
        f.write("\n".join(rows) + "\n")
    n = len(rows)
    t1 = sum(r.split("\t")[2] == "1" for r in rows)
    t3 = sum(r.split("\t")[3] == "1" for r in rows)
    print(f"{n} tunes, tier1 {t1}, tier3 {t3}")


if __name__ == "__main__":
    main()
