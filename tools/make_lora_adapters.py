#!/usr/bin/python3
"""Writes PEFT LoRA adapters for the bundled models and their unmerged reference log-probs.

Run at test time by CTest (fixture lora_adapters), never committed:

    /usr/bin/python3 tools/make_lora_adapters.py OUT_DIR

Each OUT_DIR/<name>/ holds adapter_config.json and adapter_model.safetensors with PEFT's key
names (base_model.model.<module>.lora_A.weight [r, in], .lora_B.weight [out, r]; a module of
modules_to_save as base_model.model.<module>.weight). OUT_DIR/reference.json has, per base
model, token-id sequences and, per adapter, log p(t[i+1] | t[..i]) from tools/torch_llama.py
(tools/torch_gpt2.py) with every targeted nn.Linear (Conv1D) replaced by
base(x) + scaling * lora_B(lora_A(x)), the adapter applied on the fly (never merged),
scaling = lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora, as PEFT's
LoraLayer.update_layer computes it. The base weights are the stored bf16/f16 ones widened to
float32.

- plain: r 8, alpha 16, target_modules ["q_proj", "v_proj"] (names matched as key suffixes);
- rslora: r 4, alpha 8, use_rslora, target_modules the regex ".*\\.(o_proj|down_proj)"
  (full match), modules_to_save ["lm_head"] with a retrained head;
- gpt2-conv1d: tiny-mmm-gpt2, r 4, alpha 8, ["c_attn", "c_fc"], fan_in_fan_out (Conv1D weights
  are [in, out]);
- dora: as plain with use_dora true (tunebench refuses it);
- prefix: peft_type PREFIX_TUNING (refused).
"""
import json
import math
import re
import sys
from pathlib import Path

import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import safetensors_io  # noqa: E402
import torch_gpt2  # noqa: E402
from torch_llama import LlamaConfig, LlamaForCausalLM  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "data/models/tiny-abc-llama"
GPT2_BASE = ROOT / "data/models/tiny-mmm-gpt2"


class LoraLinear(nn.Module):
    def __init__(self, base, a, b, scaling):
        super().__init__()
        self.base, self.a, self.b, self.scaling = base, a, b, scaling

    def forward(self, x):
        return self.base(x) + self.scaling * ((x @ self.a.t()) @ self.b.t())


def load_base():
    cfg = json.loads((BASE / "config.json").read_text())
    c = LlamaConfig(vocab_size=cfg["vocab_size"], hidden_size=cfg["hidden_size"],
                    intermediate_size=cfg["intermediate_size"],
                    num_hidden_layers=cfg["num_hidden_layers"],
                    num_attention_heads=cfg["num_attention_heads"],
                    num_key_value_heads=cfg["num_key_value_heads"],
                    max_position_embeddings=cfg["max_position_embeddings"],
                    rms_norm_eps=cfg["rms_norm_eps"], rope_theta=cfg["rope_theta"],
                    tie_word_embeddings=cfg["tie_word_embeddings"])
    model = LlamaForCausalLM(c)
    weights = {k: v.float() for k, v in safetensors_io.load_file(BASE / "model.safetensors").items()}
    model.load_state_dict(weights, strict=True)
    return model.eval(), weights


def load_gpt2():
    cfg = json.loads((GPT2_BASE / "config.json").read_text())
    c = torch_gpt2.GPT2Config(vocab_size=cfg["vocab_size"], n_positions=cfg["n_positions"],
                              n_embd=cfg["n_embd"], n_layer=cfg["n_layer"], n_head=cfg["n_head"],
                              layer_norm_epsilon=cfg["layer_norm_epsilon"])
    model = torch_gpt2.GPT2LMHeadModel(c)
    weights = {k: v.float() for k, v in safetensors_io.load_file(GPT2_BASE / "model.safetensors").items()}
    model.load_hf_state_dict(weights)
    return model.eval(), weights


def features(module):
    """(in, out) of an nn.Linear ([out, in] weight) or a GPT-2 Conv1D ([in, out] weight)."""
    if isinstance(module, nn.Linear):
        return module.in_features, module.out_features
    return module.weight.shape[0], module.weight.shape[1]


def targeted(name, target_modules):
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, name) is not None
    return any(name == t or name.endswith("." + t) for t in target_modules)


def make_adapter(model, weights, out, config, gen):
    """Writes the adapter and returns the model with it applied on the fly."""
    r, alpha = config["r"], config["lora_alpha"]
    scaling = alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r
    tensors = {}
    for name, module in list(model.named_modules()):
        if not isinstance(module, (nn.Linear, torch_gpt2.Conv1D)):
            continue
        if not targeted(name, config["target_modules"]):
            continue
        n_in, n_out = features(module)
        a = torch.randn(r, n_in, generator=gen) * 0.1
        b = torch.randn(n_out, r, generator=gen) * 0.1
        tensors[f"base_model.model.{name}.lora_A.weight"] = a
        tensors[f"base_model.model.{name}.lora_B.weight"] = b
        parent_name, child = name.rsplit(".", 1)
        setattr(model.get_submodule(parent_name), child, LoraLinear(module, a, b, scaling))
    for name in config.get("modules_to_save") or []:
        w = weights[name + ".weight"] + torch.randn(weights[name + ".weight"].shape, generator=gen) * 0.02
        tensors[f"base_model.model.{name}.weight"] = w
        model.get_submodule(name).weight.data.copy_(w)
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2))
    safetensors_io.save_file(tensors, out / "adapter_model.safetensors", metadata={"format": "pt"})
    return model


@torch.no_grad()
def logprobs(model, seqs):
    out = []
    for s in seqs:
        ids = torch.tensor([s])
        lp = torch.log_softmax(model(ids)[0].double(), dim=-1)
        out.append([float(lp[i, s[i + 1]]) for i in range(len(s) - 1)])
    return out


def main():
    out = Path(sys.argv[1])
    gen = torch.Generator().manual_seed(20)
    common = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": str(BASE),
              "bias": "none", "fan_in_fan_out": False, "lora_dropout": 0.05, "inference_mode": True}
    configs = {
        "plain": {**common, "r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"],
                  "use_rslora": False, "modules_to_save": None},
        "rslora": {**common, "r": 4, "lora_alpha": 8, "target_modules": r".*\.(o_proj|down_proj)",
                   "use_rslora": True, "modules_to_save": ["lm_head"]},
    }
    seqs = [[1] + torch.randint(3, 2000, (n,), generator=gen).tolist() for n in (6, 23, 50)]
    base_model, weights = load_base()
    llama = {"base_dir": "data/models/tiny-abc-llama", "sequences": seqs,
             "base": logprobs(base_model, seqs), "adapters": {}}
    for name, config in configs.items():
        model = make_adapter(load_base()[0], weights, out / name, config, gen)
        llama["adapters"][name] = logprobs(model, seqs)
    # GPT-2's Conv1D stores [in, out]: PEFT adapters for it set fan_in_fan_out.
    gpt2_seqs = [[0] + torch.randint(2, 407, (n,), generator=gen).tolist() for n in (9, 31)]
    gpt2_model, gpt2_weights = load_gpt2()
    gpt2 = {"base_dir": "data/models/tiny-mmm-gpt2", "sequences": gpt2_seqs,
            "base": logprobs(gpt2_model, gpt2_seqs), "adapters": {}}
    conv = {**common, "r": 4, "lora_alpha": 8, "target_modules": ["c_attn", "c_fc"],
            "fan_in_fan_out": True, "use_rslora": False, "modules_to_save": None}
    model = make_adapter(load_gpt2()[0], gpt2_weights, out / "gpt2-conv1d", conv, gen)
    gpt2["adapters"]["gpt2-conv1d"] = logprobs(model, gpt2_seqs)
    reference = {"models": [llama, gpt2]}
    (out / "dora").mkdir(parents=True, exist_ok=True)
    weights = (out / "plain/adapter_model.safetensors").read_bytes()
    (out / "dora/adapter_model.safetensors").write_bytes(weights)
    (out / "dora/adapter_config.json").write_text(json.dumps({**configs["plain"], "use_dora": True}))
    (out / "prefix").mkdir(parents=True, exist_ok=True)
    (out / "prefix/adapter_config.json").write_text(
        json.dumps({"peft_type": "PREFIX_TUNING", "num_virtual_tokens": 20}))
    (out / "reference.json").write_text(json.dumps(reference))
    print(f"wrote {len(configs) + 1} adapters and reference log-probs under {out}")


if __name__ == "__main__":
    main()
