#!/usr/bin/python3
"""Writes the tiny random checkpoints under data/golden/tiny-random/ and their reference log-probs.

Regenerate (deterministic; run from the repository root):

    /usr/bin/python3 tools/make_tiny_checkpoints.py data/golden/tiny-random

Each checkpoint directory holds a Hugging Face config.json, its weights in safetensors (written
here by hand: 8-byte little-endian header length, JSON header, raw little-endian bytes) and a
reference.json. The reference forward passes re-implement, in plain float32 PyTorch, the
semantics of transformers' LlamaForCausalLM (rotate_half RoPE with float32 inv_freq, RMSNorm as
x * rsqrt(mean(x^2) + eps) then weight, SwiGLU, grouped-query attention) and GPT2LMHeadModel
(learned positions, LayerNorm with bias, Conv1D weights stored [in, out], gelu_new, tied head).
They run on the weights AS STORED: f16/bf16 weights are rounded first and widened back to f32,
exactly as tunebench widens them on load.

reference.json: {"sequences": [[token ids]...], "logprobs": [[log p(t[i+1] | t[..i])]...],
"last_logits": {"sequence": index, "logits": [...]}} (logits of the last position).
"""
import json
import math
import os
import sys

import torch

VOCAB = 300
SEQUENCE_LENGTHS = (5, 17, 40)

LLAMA = dict(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=96, max_positions=128,
             rope_theta=10000.0, eps=1e-5)
GPT2 = dict(hidden=48, layers=2, heads=4, positions=128, eps=1e-5)  # n_inner: default 4 * n_embd

ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


# ---- safetensors, by hand --------------------------------------------------------------------

def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensor_bytes(tensors[name])
        header[name] = {"dtype": ST_DTYPES[tensors[name].dtype],
                        "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_checkpoint(out_dir, config, tensors, shards=1):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    if shards == 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors)
        return
    names = sorted(tensors)
    weight_map, total = {}, 0
    for i in range(shards):
        file = "model-%05d-of-%05d.safetensors" % (i + 1, shards)
        part = {n: tensors[n] for n in names[i::shards]}
        write_safetensors(os.path.join(out_dir, file), part)
        for n, t in part.items():
            weight_map[n] = file
            total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


# ---- random weights --------------------------------------------------------------------------

def linear_weight(gen, out_features, in_features):
    # Scaled so activations stay O(1) and the log-probs depend visibly on every weight.
    return torch.randn(out_features, in_features, generator=gen) / math.sqrt(in_features)


def llama_weights(gen):
    c = LLAMA
    d, hd = c["hidden"], c["hidden"] // c["heads"]
    w = {"model.embed_tokens.weight": torch.randn(VOCAB, d, generator=gen)}
    for i in range(c["layers"]):
        p = "model.layers.%d." % i
        w[p + "self_attn.q_proj.weight"] = linear_weight(gen, c["heads"] * hd, d)
        w[p + "self_attn.k_proj.weight"] = linear_weight(gen, c["kv_heads"] * hd, d)
        w[p + "self_attn.v_proj.weight"] = linear_weight(gen, c["kv_heads"] * hd, d)
        w[p + "self_attn.o_proj.weight"] = linear_weight(gen, d, c["heads"] * hd)
        w[p + "mlp.gate_proj.weight"] = linear_weight(gen, c["intermediate"], d)
        w[p + "mlp.up_proj.weight"] = linear_weight(gen, c["intermediate"], d)
        w[p + "mlp.down_proj.weight"] = linear_weight(gen, d, c["intermediate"])
        w[p + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(d, generator=gen)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(d, generator=gen)
    w["model.norm.weight"] = 1 + 0.1 * torch.randn(d, generator=gen)
    w["lm_head.weight"] = linear_weight(gen, VOCAB, d)
    return w


def gpt2_weights(gen, prefix):
    c = GPT2
    d, inner = c["hidden"], 4 * c["hidden"]
    w = {prefix + "wte.weight": 0.3 * torch.randn(VOCAB, d, generator=gen),
         prefix + "wpe.weight": 0.5 * torch.randn(c["positions"], d, generator=gen)}
    for i in range(c["layers"]):
        p = prefix + "h.%d." % i
        # Conv1D stores [in, out].
        w[p + "ln_1.weight"] = 1 + 0.1 * torch.randn(d, generator=gen)
        w[p + "ln_1.bias"] = 0.1 * torch.randn(d, generator=gen)
        w[p + "attn.c_attn.weight"] = linear_weight(gen, 3 * d, d).t().contiguous()
        w[p + "attn.c_attn.bias"] = 0.1 * torch.randn(3 * d, generator=gen)
        w[p + "attn.c_proj.weight"] = linear_weight(gen, d, d).t().contiguous()
        w[p + "attn.c_proj.bias"] = 0.1 * torch.randn(d, generator=gen)
        w[p + "ln_2.weight"] = 1 + 0.1 * torch.randn(d, generator=gen)
        w[p + "ln_2.bias"] = 0.1 * torch.randn(d, generator=gen)
        w[p + "mlp.c_fc.weight"] = linear_weight(gen, inner, d).t().contiguous()
        w[p + "mlp.c_fc.bias"] = 0.1 * torch.randn(inner, generator=gen)
        w[p + "mlp.c_proj.weight"] = linear_weight(gen, d, inner).t().contiguous()
        w[p + "mlp.c_proj.bias"] = 0.1 * torch.randn(d, generator=gen)
    w[prefix + "ln_f.weight"] = 1 + 0.1 * torch.randn(d, generator=gen)
    w[prefix + "ln_f.bias"] = 0.1 * torch.randn(d, generator=gen)
    return w


# ---- reference forward passes (float32, Hugging Face semantics) ------------------------------

def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def causal_attention(q, k, v):
    # q [heads, T, hd]; k, v [heads, T, hd] (already repeated for GQA).
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    t = q.shape[1]
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, torch.finfo(torch.float32).min)
    return torch.matmul(torch.softmax(scores, dim=-1, dtype=torch.float32), v)


def llama_logits(w, tokens):
    c = LLAMA
    d, heads, kvh = c["hidden"], c["heads"], c["kv_heads"]
    hd = d // heads
    t = len(tokens)
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = torch.outer(torch.arange(t, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    h = w["model.embed_tokens.weight"][torch.tensor(tokens)]
    for i in range(c["layers"]):
        p = "model.layers.%d." % i
        x = rms_norm(h, w[p + "input_layernorm.weight"], c["eps"])
        q = (x @ w[p + "self_attn.q_proj.weight"].t()).view(t, heads, hd).transpose(0, 1)
        k = (x @ w[p + "self_attn.k_proj.weight"].t()).view(t, kvh, hd).transpose(0, 1)
        v = (x @ w[p + "self_attn.v_proj.weight"].t()).view(t, kvh, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(heads // kvh, dim=0)
        v = v.repeat_interleave(heads // kvh, dim=0)
        a = causal_attention(q, k, v).transpose(0, 1).reshape(t, heads * hd)
        h = h + a @ w[p + "self_attn.o_proj.weight"].t()
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], c["eps"])
        gate = torch.nn.functional.silu(x @ w[p + "mlp.gate_proj.weight"].t())
        up = x @ w[p + "mlp.up_proj.weight"].t()
        h = h + (gate * up) @ w[p + "mlp.down_proj.weight"].t()
    h = rms_norm(h, w["model.norm.weight"], c["eps"])
    return h @ w["lm_head.weight"].t()


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_logits(w, tokens, prefix):
    c = GPT2
    d, heads = c["hidden"], c["heads"]
    hd = d // heads
    t = len(tokens)
    ln = torch.nn.functional.layer_norm
    h = w[prefix + "wte.weight"][torch.tensor(tokens)] + w[prefix + "wpe.weight"][:t]
    for i in range(c["layers"]):
        p = prefix + "h.%d." % i
        x = ln(h, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], c["eps"])
        qkv = x @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (s.reshape(t, heads, hd).transpose(0, 1) for s in qkv.split(d, dim=-1))
        a = causal_attention(q, k, v).transpose(0, 1).reshape(t, d)
        h = h + a @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        x = ln(h, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], c["eps"])
        m = gelu_new(x @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        h = h + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    h = ln(h, (d,), w[prefix + "ln_f.weight"], w[prefix + "ln_f.bias"], c["eps"])
    return h @ w[prefix + "wte.weight"].t()


# ---- configs and outputs ---------------------------------------------------------------------

def llama_config(dtype):
    c = LLAMA
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": VOCAB,
            "hidden_size": c["hidden"], "intermediate_size": c["intermediate"],
            "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
            "num_key_value_heads": c["kv_heads"], "max_position_embeddings": c["max_positions"],
            "rope_theta": c["rope_theta"], "rms_norm_eps": c["eps"], "hidden_act": "silu",
            "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
            "torch_dtype": dtype}


def gpt2_config(dtype):
    c = GPT2
    return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB,
            "n_embd": c["hidden"], "n_layer": c["layers"], "n_head": c["heads"],
            "n_positions": c["positions"], "n_inner": None, "activation_function": "gelu_new",
            "layer_norm_epsilon": c["eps"], "tie_word_embeddings": True, "bos_token_id": 0,
            "eos_token_id": 0, "torch_dtype": dtype}


def sequences(gen):
    out = []
    for n in SEQUENCE_LENGTHS:
        out.append(torch.randint(0, VOCAB, (n,), generator=gen).tolist())
    out[0][0] = VOCAB - 1  # the last embedding row is read too
    return out


def write_reference(out_dir, logits_fn, seqs):
    logprobs = []
    for s in seqs:
        lp = torch.log_softmax(logits_fn(s), dim=-1)
        logprobs.append([lp[i, s[i + 1]].item() for i in range(len(s) - 1)])
    last = len(seqs) - 1
    ref = {"sequences": seqs, "logprobs": logprobs,
           "last_logits": {"sequence": last, "logits": logits_fn(seqs[last])[-1].tolist()}}
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(ref, f)
        f.write("\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "data/golden/tiny-random"
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20240611)
    llama = llama_weights(gen)
    gpt2 = gpt2_weights(gen, "")
    seqs = sequences(gen)
    with torch.no_grad():
        for dtype, tag in ((torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")):
            dtype_name = str(dtype).replace("torch.", "")
            stored = {n: t.to(dtype) for n, t in llama.items()}
            widened = {n: t.float() for n, t in stored.items()}
            shard_list = (("llama-" + tag, 1),) + ((("llama-f32-sharded", 2),) if tag == "f32" else ())
            for name, shards in shard_list:
                d = os.path.join(out, name)
                write_checkpoint(d, llama_config(dtype_name), stored, shards)
                write_reference(d, lambda s: llama_logits(widened, s), seqs)

            # GPT-2: f32 with the "transformer." prefix, f16/bf16 with bare names; f16 also has the
            # attention-mask buffers older checkpoints carry (tunebench ignores them).
            prefix = "transformer." if tag == "f32" else ""
            stored = {prefix + n: t.to(dtype) for n, t in gpt2.items()}
            if tag == "f16":
                n = GPT2["positions"]
                mask = torch.tril(torch.ones(n, n)).view(1, 1, n, n).to(dtype)
                for i in range(GPT2["layers"]):
                    stored["h.%d.attn.bias" % i] = mask
                    stored["h.%d.attn.masked_bias" % i] = torch.tensor(-1e4).to(dtype)
            widened = {n: t.float() for n, t in stored.items()}
            d = os.path.join(out, "gpt2-" + tag)
            write_checkpoint(d, gpt2_config(dtype_name), stored)
            write_reference(d, lambda s: gpt2_logits(widened, s, prefix), seqs)


if __name__ == "__main__":
    main()
