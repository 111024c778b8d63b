"""Greedy continuations of the tiny random LLaMA checkpoint in PyTorch: the golden that
tunebench's batched generator (harness/lm/generator.cpp) is tested against.

    /usr/bin/python3 tools/greedy_golden.py > data/golden/generation/tiny-random-llama-greedy.json

Each case is a prompt of token ids (BOS = 1 first) and a repetition penalty; every step runs the
whole sequence through tools/torch_llama.py (no KV cache), applies the Hugging Face
RepetitionPenaltyLogitsProcessor to the last logits (a token already in the sequence has its
logit divided by the penalty when positive, multiplied when negative) and appends the argmax.
`margins` holds each step's gap between the best and second-best processed logit, so a test can
see that no step is a near tie that float rounding could flip.
"""

import json
import sys
from pathlib import Path

import torch

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

import safetensors_io  # noqa: E402
from torch_llama import LlamaConfig, LlamaForCausalLM  # noqa: E402

CHECKPOINT = TOOLS.parent / "data/golden/tiny-random/llama-f32"
CASES = [
    {"prompt": [1, 17, 42, 99, 5], "repetition_penalty": 1.0, "new_tokens": 24},
    {"prompt": [1, 250, 3], "repetition_penalty": 1.0, "new_tokens": 24},
    {"prompt": [1, 17, 42, 99, 5], "repetition_penalty": 1.3, "new_tokens": 24},
]


def load_model() -> LlamaForCausalLM:
    cfg = json.loads((CHECKPOINT / "config.json").read_text())
    fields = LlamaConfig.__dataclass_fields__
    model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in cfg.items() if k in fields}))
    model.load_hf_state_dict(safetensors_io.load_file(CHECKPOINT / "model.safetensors"))
    return model.eval()


def greedy(model, prompt, penalty, new_tokens):
    ids = list(prompt)
    margins = []
    for _ in range(new_tokens):
        logits = model(torch.tensor([ids]))[0, -1].double()
        if penalty != 1.0:
            seen = torch.tensor(sorted(set(ids)))
            score = logits[seen]
            logits[seen] = torch.where(score < 0, score * penalty, score / penalty)
        top = torch.topk(logits, 2).values
        margins.append(float(top[0] - top[1]))
        ids.append(int(torch.argmax(logits)))
    return ids[len(prompt):], margins


def main() -> None:
    torch.manual_seed(0)
    model = load_model()
    out = []
    with torch.no_grad():
        for case in CASES:
            tokens, margins = greedy(model, case["prompt"], case["repetition_penalty"], case["new_tokens"])
            out.append({**case, "tokens": tokens, "margins": margins})
    json.dump({"checkpoint": "data/golden/tiny-random/llama-f32", "cases": out}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
