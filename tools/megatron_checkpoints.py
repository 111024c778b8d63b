#!/usr/bin/python3
"""Megatron-LM checkpoints of the bundled models, and their Hugging Face conversions.

Run at test time by CTest (fixture megatron_checkpoints), never committed:

    /usr/bin/python3 tools/megatron_checkpoints.py OUT_DIR

Writes, with torch.save as Megatron-LM's save_checkpoint does (a dict holding `model`, `args`,
`iteration`, `checkpoint_version` 3.0, an optimizer state and the RNG state with numpy's):

- OUT/llama-legacy/iter_0001000 and iter_0002000 (+ latest_checkpointed_iteration.txt):
  tiny-abc-llama (GQA, RMSNorm, SwiGLU, RoPE; MuPT's architecture) in the legacy layout
  (model.language_model.encoder.layers.N.self_attention.query_key_value, mlp.dense_h_to_4h);
  the second iteration has its embedding scaled by 1.01 so that the two differ;
- OUT/llama-mcore/iter_0001000: the same in Megatron-Core's layout with Transformer Engine's
  fused norms (decoder.layers.N.self_attention.linear_qkv.layer_norm_weight, _extra_state);
- OUT/gpt2-legacy/iter_0000500: tiny-mmm-gpt2 (LayerNorm, gelu, learned positions, biases), its
  vocabulary padded from 407 to 512 rows as --make-vocab-size-divisible-by 128 does;
- OUT/<name>-hf/: each of the above converted back to Hugging Face layout by `to_hf_llama` and
  `to_hf_gpt2` below, with the tokenizer files of the bundled model. These re-implement the
  published conversions independently of tunebench: MuPT's and Megatron-LM's LLaMA saver
  (the fused QKV viewed as [groups, (heads/groups + 2) * head_dim, hidden] and split into each
  group's query heads, key head and value head; fc1 chunked into gate and up) and transformers'
  convert_megatron_gpt2_checkpoint.py (QKV of checkpoint_version >= 2 viewed as [heads, 3,
  head_dim, hidden], transposed to [3, heads, ...], and every linear transposed to Conv1D);
- OUT/hostile/: tp2/ (mp_rank_00 and mp_rank_01), extra-layer/ (args say one layer fewer than
  the weights hold), mixed/ (swiglu with LayerNorm), v1/ (checkpoint_version 1.0, whose QKV
  order differs) and evil/ (an os.system REDUCE inside the args).
"""
import argparse
import collections
import json
import os
import random
import shutil
import sys
from pathlib import Path

import numpy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import load_file, save_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json",
                   "special_tokens_map.json", "generation_config.json")


# --- Hugging Face -> Megatron (what training would have written) --------------------------------

def llama_args(cfg):
    heads, groups = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    return argparse.Namespace(
        num_layers=cfg["num_hidden_layers"], hidden_size=cfg["hidden_size"],
        ffn_hidden_size=cfg["intermediate_size"], num_attention_heads=heads,
        group_query_attention=groups != heads, num_query_groups=groups,
        kv_channels=cfg.get("head_dim", cfg["hidden_size"] // heads),
        max_position_embeddings=cfg["max_position_embeddings"], seq_length=1024,
        padded_vocab_size=cfg["vocab_size"], make_vocab_size_divisible_by=1,
        swiglu=True, normalization="RMSNorm", norm_epsilon=cfg["rms_norm_eps"],
        position_embedding_type="rope", rotary_base=int(cfg["rope_theta"]), rotary_percent=1.0,
        add_bias_linear=False, add_qkv_bias=False, untie_embeddings_and_output_weights=True,
        apply_residual_connection_post_layernorm=False, params_dtype=torch.bfloat16,
        tokenizer_type="SentencePieceTokenizer", bf16=True, tensor_model_parallel_size=1,
        pipeline_model_parallel_size=1, use_mcore_models=False, transformer_impl="local")


def llama_to_megatron(hf, cfg, mcore):
    L, h = cfg["num_hidden_layers"], cfg["hidden_size"]
    heads, groups = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", h // heads)
    per = heads // groups
    sd = collections.OrderedDict()
    stack = "decoder." if mcore else "language_model.encoder."
    emb = "embedding.word_embeddings.weight"
    sd[emb if mcore else "language_model." + emb] = hf["model.embed_tokens.weight"]
    for i in range(L):
        p, m = f"model.layers.{i}.", f"{stack}layers.{i}."
        q = hf[p + "self_attn.q_proj.weight"].view(groups, per * hd, h)
        k = hf[p + "self_attn.k_proj.weight"].view(groups, hd, h)
        v = hf[p + "self_attn.v_proj.weight"].view(groups, hd, h)
        qkv = torch.cat([q, k, v], dim=1).reshape(-1, h)
        fc1 = torch.cat([hf[p + "mlp.gate_proj.weight"], hf[p + "mlp.up_proj.weight"]], dim=0)
        if mcore:
            sd[m + "self_attention.linear_qkv.layer_norm_weight"] = hf[p + "input_layernorm.weight"]
            sd[m + "self_attention.linear_qkv.weight"] = qkv
            sd[m + "self_attention.linear_qkv._extra_state"] = None
            sd[m + "self_attention.linear_proj.weight"] = hf[p + "self_attn.o_proj.weight"]
            sd[m + "self_attention.linear_proj._extra_state"] = None
            sd[m + "mlp.linear_fc1.layer_norm_weight"] = hf[p + "post_attention_layernorm.weight"]
            sd[m + "mlp.linear_fc1.weight"] = fc1
            sd[m + "mlp.linear_fc2.weight"] = hf[p + "mlp.down_proj.weight"]
        else:
            sd[m + "input_layernorm.weight"] = hf[p + "input_layernorm.weight"]
            sd[m + "self_attention.query_key_value.weight"] = qkv
            sd[m + "self_attention.dense.weight"] = hf[p + "self_attn.o_proj.weight"]
            sd[m + "post_attention_layernorm.weight"] = hf[p + "post_attention_layernorm.weight"]
            sd[m + "mlp.dense_h_to_4h.weight"] = fc1
            sd[m + "mlp.dense_4h_to_h.weight"] = hf[p + "mlp.down_proj.weight"]
    sd[stack + "final_layernorm.weight"] = hf["model.norm.weight"]
    sd["output_layer.weight" if mcore else "language_model.output_layer.weight"] = \
        hf["lm_head.weight"]
    return sd


def gpt2_args(cfg, padded_vocab):
    return argparse.Namespace(
        num_layers=cfg["n_layer"], hidden_size=cfg["n_embd"],
        ffn_hidden_size=cfg.get("n_inner") or 4 * cfg["n_embd"],
        num_attention_heads=cfg["n_head"], group_query_attention=False, num_query_groups=1,
        kv_channels=cfg["n_embd"] // cfg["n_head"],
        max_position_embeddings=cfg["n_positions"], seq_length=cfg["n_positions"],
        padded_vocab_size=padded_vocab, make_vocab_size_divisible_by=128, swiglu=False,
        normalization="LayerNorm", layernorm_epsilon=cfg["layer_norm_epsilon"],
        position_embedding_type="learned_absolute", add_bias_linear=True,
        bias_gelu_fusion=cfg["activation_function"] == "gelu_new", openai_gelu=False,
        untie_embeddings_and_output_weights=False,
        apply_residual_connection_post_layernorm=False, params_dtype=torch.float16, fp16=True,
        tokenizer_type="NullTokenizer")


def gpt2_to_megatron(hf, cfg, padded_vocab):
    L, h, heads = cfg["n_layer"], cfg["n_embd"], cfg["n_head"]
    hd = h // heads
    pre = "transformer." if "transformer.wte.weight" in hf else ""
    sd = collections.OrderedDict()
    wte = hf[pre + "wte.weight"]
    padded = torch.zeros(padded_vocab, h, dtype=wte.dtype)
    padded[: wte.shape[0]] = wte
    sd["language_model.embedding.word_embeddings.weight"] = padded
    sd["language_model.embedding.position_embeddings.weight"] = hf[pre + "wpe.weight"]
    for i in range(L):
        p, m = f"{pre}h.{i}.", f"language_model.encoder.layers.{i}."
        # Conv1D [in, 3h] with columns q | k | v  ->  Linear [3h, in] with rows per head q, k, v.
        w = hf[p + "attn.c_attn.weight"].t().reshape(3, heads, hd, h).transpose(0, 1)
        b = hf[p + "attn.c_attn.bias"].reshape(3, heads, hd).transpose(0, 1)
        sd[m + "input_layernorm.weight"] = hf[p + "ln_1.weight"]
        sd[m + "input_layernorm.bias"] = hf[p + "ln_1.bias"]
        sd[m + "self_attention.query_key_value.weight"] = w.reshape(3 * h, h).contiguous()
        sd[m + "self_attention.query_key_value.bias"] = b.reshape(3 * h).contiguous()
        sd[m + "self_attention.dense.weight"] = hf[p + "attn.c_proj.weight"].t().contiguous()
        sd[m + "self_attention.dense.bias"] = hf[p + "attn.c_proj.bias"]
        sd[m + "post_attention_layernorm.weight"] = hf[p + "ln_2.weight"]
        sd[m + "post_attention_layernorm.bias"] = hf[p + "ln_2.bias"]
        sd[m + "mlp.dense_h_to_4h.weight"] = hf[p + "mlp.c_fc.weight"].t().contiguous()
        sd[m + "mlp.dense_h_to_4h.bias"] = hf[p + "mlp.c_fc.bias"]
        sd[m + "mlp.dense_4h_to_h.weight"] = hf[p + "mlp.c_proj.weight"].t().contiguous()
        sd[m + "mlp.dense_4h_to_h.bias"] = hf[p + "mlp.c_proj.bias"]
    sd["language_model.encoder.final_layernorm.weight"] = hf[pre + "ln_f.weight"]
    sd["language_model.encoder.final_layernorm.bias"] = hf[pre + "ln_f.bias"]
    return sd


def save_megatron(root, iteration, model, args, extra_dirs=(), version=3.0):
    """What Megatron-LM's save_checkpoint writes for tensor and pipeline parallel 1."""
    torch.manual_seed(iteration)
    random.seed(iteration)
    numpy.random.seed(iteration)
    params = [t for t in model.values() if isinstance(t, torch.Tensor)]
    state = {
        "args": args,
        "checkpoint_version": version,
        "iteration": iteration,
        "model": model,
        "optimizer": {
            "optimizer": {
                "state": {i: {"exp_avg": torch.zeros(2), "exp_avg_sq": torch.ones(2)}
                          for i in range(2)},
                "param_groups": [{"lr": 3e-4, "betas": (0.9, 0.95), "eps": 1e-8,
                                  "weight_decay": 0.1, "params": [0, 1]}],
            },
            "fp32_from_fp16_params": [[p.float()[:1] for p in params[:2]]],
        },
        "opt_param_scheduler": {"max_lr": 3e-4, "num_steps": iteration * 8},
        "rng_state": [{
            "random_rng_state": random.getstate(),
            "np_rng_state": numpy.random.get_state(),
            "torch_rng_state": torch.get_rng_state(),
            "cuda_rng_state": torch.get_rng_state(),
            "rng_tracker_states": {"model-parallel-rng": torch.get_rng_state()},
        }],
    }
    d = root / f"iter_{iteration:07d}"
    for rank in ("mp_rank_00",) + tuple(extra_dirs):
        (d / rank).mkdir(parents=True, exist_ok=True)
        torch.save(state, d / rank / "model_optim_rng.pt")
    (root / "latest_checkpointed_iteration.txt").write_text(str(iteration))
    return d


# --- Megatron -> Hugging Face (the published conversions, re-implemented) ----------------------

def to_hf_llama(path):
    ck = torch.load(path, map_location="cpu")
    a, sd = ck["args"], ck["model"]
    mcore = any(k.startswith("decoder.") for k in sd)
    if not mcore:
        sd = {k[len("language_model."):]: v for k, v in sd.items()}
    stack = "decoder." if mcore else "encoder."
    h, heads = a.hidden_size, a.num_attention_heads
    groups = a.num_query_groups if a.group_query_attention else heads
    hd = a.kv_channels
    out = {"model.embed_tokens.weight": sd["embedding.word_embeddings.weight"]}
    for i in range(a.num_layers):
        m, p = f"{stack}layers.{i}.", f"model.layers.{i}."
        if mcore:
            norm1 = sd[m + "self_attention.linear_qkv.layer_norm_weight"]
            qkv = sd[m + "self_attention.linear_qkv.weight"]
            proj = sd[m + "self_attention.linear_proj.weight"]
            norm2 = sd[m + "mlp.linear_fc1.layer_norm_weight"]
            fc1, fc2 = sd[m + "mlp.linear_fc1.weight"], sd[m + "mlp.linear_fc2.weight"]
        else:
            norm1 = sd[m + "input_layernorm.weight"]
            qkv = sd[m + "self_attention.query_key_value.weight"]
            proj = sd[m + "self_attention.dense.weight"]
            norm2 = sd[m + "post_attention_layernorm.weight"]
            fc1, fc2 = sd[m + "mlp.dense_h_to_4h.weight"], sd[m + "mlp.dense_4h_to_h.weight"]
        qkv = qkv.view(groups, (heads // groups + 2) * hd, h)
        q, k, v = torch.split(qkv, [heads // groups * hd, hd, hd], dim=1)
        gate, up = torch.chunk(fc1, 2, dim=0)
        out[p + "input_layernorm.weight"] = norm1
        out[p + "self_attn.q_proj.weight"] = q.reshape(-1, h)
        out[p + "self_attn.k_proj.weight"] = k.reshape(-1, h)
        out[p + "self_attn.v_proj.weight"] = v.reshape(-1, h)
        out[p + "self_attn.o_proj.weight"] = proj
        out[p + "post_attention_layernorm.weight"] = norm2
        out[p + "mlp.gate_proj.weight"] = gate
        out[p + "mlp.up_proj.weight"] = up
        out[p + "mlp.down_proj.weight"] = fc2
    out["model.norm.weight"] = sd[stack + "final_layernorm.weight"]
    out["lm_head.weight"] = sd["output_layer.weight"]
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": a.padded_vocab_size, "hidden_size": h,
        "intermediate_size": a.ffn_hidden_size, "num_hidden_layers": a.num_layers,
        "num_attention_heads": heads, "num_key_value_heads": groups, "head_dim": hd,
        "hidden_act": "silu", "max_position_embeddings": a.max_position_embeddings,
        "rms_norm_eps": a.norm_epsilon, "rope_theta": float(a.rotary_base),
        "tie_word_embeddings": not a.untie_embeddings_and_output_weights,
        "torch_dtype": "bfloat16",
    }
    return out, config


def fix_query_key_value_ordering(param, num_splits, num_heads, hidden_size):
    # transformers' convert_megatron_gpt2_checkpoint.py, checkpoint_version >= 2.0.
    input_shape = param.size()
    saved_shape = (num_heads, num_splits, hidden_size) + input_shape[1:]
    param = param.view(*saved_shape).transpose(0, 1).contiguous()
    return param.view(*input_shape)


def to_hf_gpt2(path):
    ck = torch.load(path, map_location="cpu")
    a, sd = ck["args"], ck["model"]
    assert ck["checkpoint_version"] >= 2.0
    lm = {k[len("language_model."):]: v for k, v in sd.items()}
    h, heads = a.hidden_size, a.num_attention_heads
    hd = h // heads
    out = {"transformer.wte.weight": lm["embedding.word_embeddings.weight"],
           "transformer.wpe.weight": lm["embedding.position_embeddings.weight"]}
    for i in range(a.num_layers):
        m, p = f"encoder.layers.{i}.", f"transformer.h.{i}."
        qkv_w = fix_query_key_value_ordering(
            lm[m + "self_attention.query_key_value.weight"], 3, heads, hd)
        qkv_b = fix_query_key_value_ordering(
            lm[m + "self_attention.query_key_value.bias"], 3, heads, hd)
        out[p + "ln_1.weight"] = lm[m + "input_layernorm.weight"]
        out[p + "ln_1.bias"] = lm[m + "input_layernorm.bias"]
        out[p + "attn.c_attn.weight"] = qkv_w.transpose(0, 1).contiguous()
        out[p + "attn.c_attn.bias"] = qkv_b
        out[p + "attn.c_proj.weight"] = lm[m + "self_attention.dense.weight"].t().contiguous()
        out[p + "attn.c_proj.bias"] = lm[m + "self_attention.dense.bias"]
        out[p + "ln_2.weight"] = lm[m + "post_attention_layernorm.weight"]
        out[p + "ln_2.bias"] = lm[m + "post_attention_layernorm.bias"]
        out[p + "mlp.c_fc.weight"] = lm[m + "mlp.dense_h_to_4h.weight"].t().contiguous()
        out[p + "mlp.c_fc.bias"] = lm[m + "mlp.dense_h_to_4h.bias"]
        out[p + "mlp.c_proj.weight"] = lm[m + "mlp.dense_4h_to_h.weight"].t().contiguous()
        out[p + "mlp.c_proj.bias"] = lm[m + "mlp.dense_4h_to_h.bias"]
    out["transformer.ln_f.weight"] = lm["encoder.final_layernorm.weight"]
    out["transformer.ln_f.bias"] = lm["encoder.final_layernorm.bias"]
    tanh = a.bias_gelu_fusion or a.openai_gelu
    config = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
        "vocab_size": a.padded_vocab_size, "n_positions": a.max_position_embeddings,
        "n_embd": h, "n_layer": a.num_layers, "n_head": heads, "n_inner": a.ffn_hidden_size,
        "activation_function": "gelu_new" if tanh else "gelu",
        "layer_norm_epsilon": a.layernorm_epsilon, "tie_word_embeddings": True,
        "torch_dtype": "float16",
    }
    return out, config


def write_hf(dst, tensors, config, tokenizer_src):
    dst.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, dst / "model.safetensors")
    (dst / "config.json").write_text(json.dumps(config, indent=2))
    for f in TOKENIZER_FILES:
        if (tokenizer_src / f).exists():
            shutil.copy(tokenizer_src / f, dst / f)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + str(self.marker),))


def main():
    out = Path(sys.argv[1])
    if out.exists():
        shutil.rmtree(out)
    llama_src = ROOT / "data/models/tiny-abc-llama"
    gpt2_src = ROOT / "data/models/tiny-mmm-gpt2"
    llama_cfg = json.loads((llama_src / "config.json").read_text())
    gpt2_cfg = json.loads((gpt2_src / "config.json").read_text())
    llama = load_file(llama_src / "model.safetensors")
    gpt2 = load_file(gpt2_src / "model.safetensors")

    legacy = llama_to_megatron(llama, llama_cfg, mcore=False)
    first = save_megatron(out / "llama-legacy", 1000, legacy, llama_args(llama_cfg))
    scaled = collections.OrderedDict(legacy)
    key = "language_model.embedding.word_embeddings.weight"
    scaled[key] = (scaled[key].float() * 1.01).to(scaled[key].dtype)
    save_megatron(out / "llama-legacy", 2000, scaled, llama_args(llama_cfg))
    write_hf(out / "llama-legacy-hf", *to_hf_llama(first / "mp_rank_00/model_optim_rng.pt"),
             llama_src)

    mcore_args = llama_args(llama_cfg)
    mcore_args.use_mcore_models, mcore_args.transformer_impl = True, "transformer_engine"
    d = save_megatron(out / "llama-mcore", 1000, llama_to_megatron(llama, llama_cfg, mcore=True),
                      mcore_args)
    write_hf(out / "llama-mcore-hf", *to_hf_llama(d / "mp_rank_00/model_optim_rng.pt"), llama_src)

    d = save_megatron(out / "gpt2-legacy", 500, gpt2_to_megatron(gpt2, gpt2_cfg, 512),
                      gpt2_args(gpt2_cfg, 512))
    write_hf(out / "gpt2-legacy-hf", *to_hf_gpt2(d / "mp_rank_00/model_optim_rng.pt"), gpt2_src)

    hostile = out / "hostile"
    save_megatron(hostile / "tp2", 1000, legacy, llama_args(llama_cfg), extra_dirs=("mp_rank_01",))
    fewer = llama_args(llama_cfg)
    fewer.num_layers -= 1
    save_megatron(hostile / "extra-layer", 1000, legacy, fewer)
    mixed = llama_args(llama_cfg)
    mixed.normalization = "LayerNorm"
    save_megatron(hostile / "mixed", 1000, legacy, mixed)
    save_megatron(hostile / "v1", 1000, legacy, llama_args(llama_cfg), version=1.0)
    evil_args = llama_args(llama_cfg)
    evil_args.hook = Evil(hostile / "EXECUTED")
    save_megatron(hostile / "evil", 1000, legacy, evil_args)
    print(f"wrote Megatron-LM checkpoints and their conversions under {out}")


if __name__ == "__main__":
    main()
