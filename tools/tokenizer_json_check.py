"""An independent check of a LLaMA-style tokenizer.json against its SentencePiece model.

`hf_bpe_encode` re-implements the Hugging Face pipeline that a tokenizer.json written by
tools/make_tokenizer_json.py describes (normalizer Prepend("▁") + Replace(" ", "▁"), BPE
with lowest-rank merge first and leftmost on ties, byte fallback for pieces not in the
vocabulary) without the `tokenizers` package, which Debian does not ship; `check_equivalence`
compares it with sentencepiece's ids on a list of texts. tools/train_tiny_models.py runs it on
every tune of the corpus.

Usage: /usr/bin/python3 tools/tokenizer_json_check.py tokenizer.model tokenizer.json TEXT_FILE...
"""

from __future__ import annotations

import heapq
import json
import sys

import sentencepiece as spm


def hf_bpe_encode(tok: dict, text: str) -> list[int]:
    """The Hugging Face pipeline for this tokenizer.json (normalizer + BPE + byte fallback)."""
    model = tok["model"]
    vocab = model["vocab"]
    ranks = {tuple(m.split(" ", 1) if isinstance(m, str) else m): r for r, m in enumerate(model["merges"])}
    norm = tok["normalizer"]
    for n in norm["normalizers"] if norm["type"] == "Sequence" else [norm]:
        if n["type"] == "Prepend":
            text = n["prepend"] + text
        else:
            text = text.replace(n["pattern"]["String"], n["content"])
    # Merge loop as in tokenizers' Word::merge_all: lowest rank first, leftmost on ties.
    word: list[str | None] = list(text)
    nxt = list(range(1, len(word) + 1))
    prv = list(range(-1, len(word) - 1))
    heap = []
    for i in range(len(word) - 1):
        r = ranks.get((word[i], word[i + 1]))
        if r is not None:
            heap.append((r, i, word[i], word[i + 1]))
    heapq.heapify(heap)
    while heap:
        r, i, left, right = heapq.heappop(heap)
        j = nxt[i] if word[i] is not None else len(word)
        if word[i] != left or j >= len(word) or word[j] != right:
            continue  # stale entry
        word[i] = left + right
        word[j] = None
        nxt[i] = nxt[j]
        if nxt[i] < len(word):
            prv[nxt[i]] = i
        for a in (prv[i], i):
            if a < 0:
                continue
            b = nxt[a]
            if b < len(word):
                r2 = ranks.get((word[a], word[b]))
                if r2 is not None:
                    heapq.heappush(heap, (r2, a, word[a], word[b]))
    word = [w for w in word if w is not None]
    ids = []
    for w in word:
        if w in vocab:
            ids.append(vocab[w])
        else:
            ids.extend(vocab[f"<0x{b:02X}>"] for b in w.encode("utf-8"))
    return ids


def check_equivalence(model_path: str, tok: dict, texts: list[str]) -> int:
    """Number of texts on which sentencepiece and the tokenizer.json pipeline disagree."""
    sp = spm.SentencePieceProcessor(model_file=model_path)
    return sum(sp.encode(t) != hf_bpe_encode(tok, t) for t in texts)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    with open(sys.argv[2], encoding="utf-8") as f:
        doc = json.load(f)
    texts = [open(p, encoding="utf-8").read() for p in sys.argv[3:]]
    bad = check_equivalence(sys.argv[1], doc, texts)
    print(f"{bad} of {len(texts)} texts differ")
    sys.exit(1 if bad else 0)
