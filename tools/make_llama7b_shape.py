#!/usr/bin/python3
"""Writes a LLaMA-2-7B-shaped checkpoint of random bf16 weights (13.5 GB; never committed).

For the by-hand memory check of bf16 end to end: tunebench must mmap it and score a short text
with peak RSS near weights + KV cache + workspace (under 16 GB), not the 27 GB of f32 copies.

    /usr/bin/python3 tools/make_llama7b_shape.py OUT_DIR [TOKENIZER_MODEL]
    /usr/bin/time -v build/runners/tunebench score --model OUT_DIR --context 64 TEXT

The tensors are streamed to one model.safetensors (one tensor in memory at a time), N(0, 0.02)
like a fresh LlamaForCausalLM, with RMSNorm weights 1. TOKENIZER_MODEL (a LLaMA SentencePiece
model) is copied beside it.
"""
import json
import os
import shutil
import struct
import sys

import torch

SHAPE = dict(hidden=4096, layers=32, heads=32, kv_heads=32, intermediate=11008, vocab=32000)


def tensor_shapes():
    c = SHAPE
    d, inter, v = c["hidden"], c["intermediate"], c["vocab"]
    out = {"model.embed_tokens.weight": [v, d], "model.norm.weight": [d], "lm_head.weight": [v, d]}
    for i in range(c["layers"]):
        p = "model.layers.%d." % i
        out[p + "input_layernorm.weight"] = [d]
        out[p + "post_attention_layernorm.weight"] = [d]
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            out[p + "self_attn." + name + ".weight"] = [d, d]
        out[p + "mlp.gate_proj.weight"] = [inter, d]
        out[p + "mlp.up_proj.weight"] = [inter, d]
        out[p + "mlp.down_proj.weight"] = [d, inter]
    return dict(sorted(out.items()))


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    shapes = tensor_shapes()
    header, offset = {}, 0
    for name, shape in shapes.items():
        n = 2
        for s in shape:
            n *= s
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    gen = torch.Generator().manual_seed(7)
    with open(os.path.join(out_dir, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape in shapes.items():
            if name.endswith("norm.weight"):
                t = torch.ones(shape, dtype=torch.bfloat16)
            else:
                t = (torch.randn(shape, generator=gen) * 0.02).to(torch.bfloat16)
            f.write(t.view(torch.int16).numpy().tobytes())
    c = SHAPE
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
              "vocab_size": c["vocab"], "hidden_size": c["hidden"],
              "intermediate_size": c["intermediate"], "num_hidden_layers": c["layers"],
              "num_attention_heads": c["heads"], "num_key_value_heads": c["kv_heads"],
              "max_position_embeddings": 4096, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
              "hidden_act": "silu", "tie_word_embeddings": False, "bos_token_id": 1,
              "eos_token_id": 2, "torch_dtype": "bfloat16"}
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    if len(sys.argv) > 2:
        shutil.copy(sys.argv[2], os.path.join(out_dir, "tokenizer.model"))


if __name__ == "__main__":
    main()
