#!/usr/bin/python3
"""Log-probs of the tiny random checkpoints computed by PyTorch entirely in bfloat16.

tunebench's --dtype bf16 keeps weights in bf16 and computes in f32; PyTorch's bf16 model
(model.to(torch.bfloat16)) rounds every activation to bf16 as well. This reference bounds how far
apart the two may be. Regenerate (deterministic; run from the repository root):

    /usr/bin/python3 tools/bf16_reference.py data/golden/tiny-random/bf16-compute.json

It rebuilds the same weights and sequences as tools/make_tiny_checkpoints.py (same generator and
order), rounds the weights to bf16 and runs that script's forward passes on bf16 tensors, with
the casts transformers' eager bf16 LLaMA and GPT-2 make (attention softmax in float32, RoPE
tables cast to bf16).
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tiny_checkpoints as tiny  # noqa: E402


def causal_attention_bf16(q, k, v):
    # As transformers' eager attention: softmax in float32, cast back to the activation dtype.
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    t = q.shape[1]
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, torch.finfo(scores.dtype).min)
    return torch.matmul(torch.softmax(scores, dim=-1, dtype=torch.float32).to(v.dtype), v)


def llama_logits_bf16(w, tokens):
    # tools/make_tiny_checkpoints.py's llama_logits with transformers' casts: cos/sin are computed
    # in float32 and cast to the activation dtype before rotating.
    c = tiny.LLAMA
    d, heads, kvh = c["hidden"], c["heads"], c["kv_heads"]
    hd = d // heads
    t = len(tokens)
    dt = torch.bfloat16
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = torch.outer(torch.arange(t, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().to(dt), emb.sin().to(dt)
    h = w["model.embed_tokens.weight"][torch.tensor(tokens)]
    for i in range(c["layers"]):
        p = "model.layers.%d." % i
        x = tiny.rms_norm(h, w[p + "input_layernorm.weight"], c["eps"])
        q = (x @ w[p + "self_attn.q_proj.weight"].t()).view(t, heads, hd).transpose(0, 1)
        k = (x @ w[p + "self_attn.k_proj.weight"].t()).view(t, kvh, hd).transpose(0, 1)
        v = (x @ w[p + "self_attn.v_proj.weight"].t()).view(t, kvh, hd).transpose(0, 1)
        q = q * cos + tiny.rotate_half(q) * sin
        k = k * cos + tiny.rotate_half(k) * sin
        k = k.repeat_interleave(heads // kvh, dim=0)
        v = v.repeat_interleave(heads // kvh, dim=0)
        a = causal_attention_bf16(q, k, v).transpose(0, 1).reshape(t, heads * hd)
        h = h + a @ w[p + "self_attn.o_proj.weight"].t()
        x = tiny.rms_norm(h, w[p + "post_attention_layernorm.weight"], c["eps"])
        gate = torch.nn.functional.silu(x @ w[p + "mlp.gate_proj.weight"].t())
        up = x @ w[p + "mlp.up_proj.weight"].t()
        h = h + (gate * up) @ w[p + "mlp.down_proj.weight"].t()
    h = tiny.rms_norm(h, w["model.norm.weight"], c["eps"])
    return h @ w["lm_head.weight"].t()


def logprobs(logits_fn, seqs):
    out = []
    for s in seqs:
        lp = torch.log_softmax(logits_fn(s).float(), dim=-1)
        out.append([lp[i, s[i + 1]].item() for i in range(len(s) - 1)])
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "data/golden/tiny-random/bf16-compute.json"
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20240611)
    llama = tiny.llama_weights(gen)
    gpt2 = tiny.gpt2_weights(gen, "")
    seqs = tiny.sequences(gen)
    tiny.causal_attention = causal_attention_bf16  # gpt2_logits calls it by module name
    with torch.no_grad():
        llama_bf16 = {n: t.to(torch.bfloat16) for n, t in llama.items()}
        gpt2_bf16 = {n: t.to(torch.bfloat16) for n, t in gpt2.items()}
        out = {
            "sequences": seqs,
            "torch": torch.__version__,
            "llama": logprobs(lambda s: llama_logits_bf16(llama_bf16, s), seqs),
            "gpt2": logprobs(lambda s: tiny.gpt2_logits(gpt2_bf16, s, ""), seqs),
        }
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
