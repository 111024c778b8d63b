#!/usr/bin/python3
"""Write Hugging Face tokenizer.json files equivalent to the shared original tokenizers.

The tokenizer tests compare tunebench's tokenizer.json reader with the golden vectors, so they
need tokenizer.json files describing the same models as ../shared's tokenizer.model and
encoder.json/vocab.bpe. Those derive from ../shared and are never committed: CTest runs this
script as a fixture writing into the build directory.

  /usr/bin/python3 tools/make_tokenizer_json.py spm  LLAMA_TOKENIZER_MODEL OUT.json
  /usr/bin/python3 tools/make_tokenizer_json.py gpt2 ENCODER_JSON VOCAB_BPE OUT.json
  /usr/bin/python3 tools/make_tokenizer_json.py all  SHARED_TOKENIZERS_DIR OUT_DIR

`spm` does what transformers' LlamaConverter (legacy mode) does: BPE vocab from the pieces
(ids 0-2 as <unk>, <s>, </s>), merges generated from the vocabulary the way
SentencePieceExtractor orders them (for every piece in id order, each split into two pieces
of the vocabulary, sorted by the pieces' ids; then all merges sorted by the piece's score,
highest first, stably), byte_fallback, unk <unk>, fuse_unk, added tokens <unk>, <s>, </s>,
normalizer Prepend("▁") + Replace(" ", "▁"), decoder Replace/ByteFallback/Fuse/Strip.
Merges are written as [a, b] pairs. `gpt2` writes GPT-2's byte-level BPE as transformers'
GPT2Converter does (merges as "a b" strings). `all` writes llama2-spm.tokenizer.json and
gpt2.tokenizer.json into OUT_DIR (skipping, with exit 0, when the inputs are absent).
"""
import json
import os
import sys


def spm_tokenizer_json(model_path):
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=model_path)
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    # LlamaConverter.vocab: the first three get score 0, the rest keep theirs.
    scores = [0.0, 0.0, 0.0] + [sp.get_score(i) for i in range(3, n)]
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = []
    for piece, score in zip(pieces, scores):
        local = []
        for k in range(1, len(piece)):
            left, right = piece[:k], piece[k:]
            if left in vocab and right in vocab:
                local.append((left, right, score))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)
    unk = sp.id_to_piece(sp.unk_id())

    def special(i):
        return {"id": i, "content": pieces[i], "single_word": False, "lstrip": False,
                "rstrip": False, "normalized": False, "special": True}

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(0), special(1), special(2)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "<s>", "type_id": 1}},
                                    {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": unk,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for a, b, _ in merges]},
    }


def gpt2_tokenizer_json(encoder_path, bpe_path):
    with open(encoder_path, encoding="utf-8") as f:
        vocab = json.load(f)
    with open(bpe_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [line for line in lines[1:] if line]  # the first line is "#version: 0.2"
    eot = vocab["<|endoftext|>"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": eot, "content": "<|endoftext|>", "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": True,
                          "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": merges},
    }


def write(doc, out_path):
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    os.replace(tmp, out_path)


def main(argv):
    if len(argv) == 4 and argv[1] == "spm":
        write(spm_tokenizer_json(argv[2]), argv[3])
    elif len(argv) == 5 and argv[1] == "gpt2":
        write(gpt2_tokenizer_json(argv[2], argv[3]), argv[4])
    elif len(argv) == 4 and argv[1] == "all":
        src, out = argv[2], argv[3]
        os.makedirs(out, exist_ok=True)
        model = os.path.join(src, "llama2-spm", "tokenizer.model")
        if os.path.exists(model):
            write(spm_tokenizer_json(model), os.path.join(out, "llama2-spm.tokenizer.json"))
        enc = os.path.join(src, "gpt2-bpe", "encoder.json")
        bpe = os.path.join(src, "gpt2-bpe", "vocab.bpe")
        if os.path.exists(enc) and os.path.exists(bpe):
            write(gpt2_tokenizer_json(enc, bpe), os.path.join(out, "gpt2.tokenizer.json"))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
