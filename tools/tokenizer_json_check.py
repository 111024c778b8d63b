"""Convert a SentencePiece BPE tokenizer.model into a LLaMA-style Hugging Face tokenizer.json.

Written the way transformers' `LlamaConverter` (convert_slow_tokenizer.py, legacy=True) does it,
because the `transformers`/`tokenizers` packages are not installed here:
- vocab: every piece in id order, scores 0.0 for ids 0..2, the piece score otherwise;
- merges (`SentencePieceExtractor.extract`): for every piece, each split into two pieces that
  are both in the vocabulary, ordered by (id of left, id of right), all sorted by the merged
  piece's score, descending (a stable sort);
- model BPE with unk_token `<unk>`, fuse_unk true, byte_fallback true;
- normalizer Prepend("▁") (when the model has add_dummy_prefix) then Replace(" ", "▁");
  no pre-tokenizer;
- decoder Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0);
- post-processor TemplateProcessing "<s> $A" (LlamaTokenizerFast with add_bos_token=true);
- added tokens: the unknown and control pieces (<unk>, <s>, </s>), special, not normalized.

`check_equivalence` re-implements the Hugging Face BPE encoder (lowest-rank merge first,
leftmost on ties, byte fallback for characters not in the vocabulary) and compares it with
sentencepiece on a list of texts.

Usage: /usr/bin/python3 tools/spm_to_tokenizer_json.py tokenizer.model tokenizer.json
"""

from __future__ import annotations

import heapq
import json
import sys

import sentencepiece as spm

SPACE = "\u2581"


def convert(model_path: str) -> dict:
    # No protobuf module on Debian here: read the model through the processor's API.
    sp = spm.SentencePieceProcessor(model_file=model_path)
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    scores = [0.0 if i < 3 else sp.get_score(i) for i in range(n)]
    vocab = {piece: i for i, piece in enumerate(pieces)}
    add_dummy_prefix = sp.encode("a", out_type=str)[0].startswith(SPACE)

    merges = []
    for piece, score in zip(pieces, scores):
        local = []
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                local.append((left, right, score))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)

    added = []
    for i in range(n):
        if sp.is_unknown(i) or sp.is_control(i):
            added.append({"id": i, "content": pieces[i], "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True})
    bos = pieces[sp.bos_id()]
    normalizers = []
    if add_dummy_prefix:
        normalizers.append({"type": "Prepend", "prepend": SPACE})
    normalizers.append({"type": "Replace", "pattern": {"String": " "}, "content": SPACE})
    decoders = [
        {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
        {"type": "ByteFallback"},
        {"type": "Fuse"},
    ]
    if add_dummy_prefix:
        decoders.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": bos, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": bos, "type_id": 1}},
                {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]}},
        },
        "decoder": {"type": "Sequence", "decoders": decoders},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": pieces[sp.unk_id()],
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b, _ in merges],
        },
    }


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


def write(model_path: str, out_path: str) -> dict:
    tok = convert(model_path)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return tok


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    write(sys.argv[1], sys.argv[2])
