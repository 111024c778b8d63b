# Random F32 LLaMA checkpoints of a tunebench shape (data/shapes/*.json) for the llama.cpp
# comparison: model.safetensors, config.json, and the LLaMA-2 SentencePiece tokenizer from
# ../shared (copied into the output directory, never into the repository).
# Usage: python3 make_checkpoint.py SHAPE.json OUT_DIR
import json, struct, sys, shutil, numpy as np
from pathlib import Path
shape_file, out = Path(sys.argv[1]), Path(sys.argv[2])
c = json.load(open(shape_file)); out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
d, I, V, L = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["num_hidden_layers"]
H, KV = c["num_attention_heads"], c["num_key_value_heads"]; hd = d // H
t = {"model.embed_tokens.weight": (V, d), "lm_head.weight": (V, d), "model.norm.weight": (d,)}
for l in range(L):
    p = f"model.layers.{l}."
    t[p+"input_layernorm.weight"] = (d,); t[p+"post_attention_layernorm.weight"] = (d,)
    t[p+"self_attn.q_proj.weight"] = (H*hd, d); t[p+"self_attn.k_proj.weight"] = (KV*hd, d)
    t[p+"self_attn.v_proj.weight"] = (KV*hd, d); t[p+"self_attn.o_proj.weight"] = (d, H*hd)
    t[p+"mlp.gate_proj.weight"] = (I, d); t[p+"mlp.up_proj.weight"] = (I, d); t[p+"mlp.down_proj.weight"] = (d, I)
header, off = {}, 0
for n in sorted(t):
    size = int(np.prod(t[n])) * 4; header[n] = {"dtype": "F32", "shape": list(t[n]), "data_offsets": [off, off + size]}; off += size
h = json.dumps(header).encode(); h += b" " * ((8 - len(h) % 8) % 8)
with open(out / "model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h)
    for n in sorted(t):
        a = np.ones(t[n], np.float32) if n.endswith("norm.weight") else rng.standard_normal(t[n], dtype=np.float32) * 0.02
        f.write(a.tobytes())
c = dict(c); c["torch_dtype"] = "float32"; c["architectures"] = ["LlamaForCausalLM"]
c["bos_token_id"], c["eos_token_id"] = 1, 2
json.dump(c, open(out / "config.json", "w"), indent=2)
shared = Path(__file__).resolve().parents[3] / "shared/data/tokenizers/llama2-spm/tokenizer.model"
shutil.copy(shared, out / "tokenizer.model")
json.dump({"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "tokenizer_class": "LlamaTokenizer"}, open(out / "tokenizer_config.json", "w"))
print(out, off / 1e6, "MB")
