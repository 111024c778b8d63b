"""GPT-2 causal LM in plain PyTorch, following Hugging Face `GPT2LMHeadModel` semantics exactly.

- Learned token (wte) and position (wpe) embeddings; pre-LayerNorm blocks (eps 1e-5).
- Conv1D projections: weight stored [in, out], y = x @ W + b (c_attn -> q, k, v; c_proj;
  mlp.c_fc; mlp.c_proj); attention scaled by head_dim^-0.5, causal, softmax in float32.
- gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); head tied to wte.
- Parameter names are the HF checkpoint names (transformer.wte.weight, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPT2Config:
    vocab_size: int = 300
    n_positions: int = 512
    n_embd: int = 192
    n_layer: int = 4
    n_head: int = 4
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, c: GPT2Config) -> None:
        super().__init__()
        self.n_head = c.n_head
        self.head_dim = c.n_embd // c.n_head
        self.c_attn = Conv1D(c.n_embd, 3 * c.n_embd)
        self.c_proj = Conv1D(c.n_embd, c.n_embd)

    def forward(self, x, mask, cache=None):
        """cache: None, or a list [k, v] of earlier positions that is extended in place."""
        b, s, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (t.view(b, s, self.n_head, self.head_dim).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if cache:
                k = torch.cat((cache[0], k), dim=2)
                v = torch.cat((cache[1], v), dim=2)
            cache[:] = [k, v]
        t = k.shape[2]
        att = torch.baddbmm(
            mask.expand(b * self.n_head, s, t),
            q.reshape(b * self.n_head, s, self.head_dim),
            k.reshape(b * self.n_head, t, self.head_dim).transpose(1, 2),
            alpha=self.head_dim**-0.5,
        ).view(b, self.n_head, s, t)
        att = F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, c: GPT2Config) -> None:
        super().__init__()
        self.c_fc = Conv1D(c.n_embd, 4 * c.n_embd)
        self.c_proj = Conv1D(4 * c.n_embd, c.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c: GPT2Config) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(c.n_embd, eps=c.layer_norm_epsilon)
        self.attn = Attention(c)
        self.ln_2 = nn.LayerNorm(c.n_embd, eps=c.layer_norm_epsilon)
        self.mlp = MLP(c)

    def forward(self, x, mask, cache=None):
        x = x + self.attn(self.ln_1(x), mask, cache)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, c: GPT2Config) -> None:
        super().__init__()
        self.wte = nn.Embedding(c.vocab_size, c.n_embd)
        self.wpe = nn.Embedding(c.n_positions, c.n_embd)
        self.h = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.ln_f = nn.LayerNorm(c.n_embd, eps=c.layer_norm_epsilon)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c: GPT2Config) -> None:
        super().__init__()
        self.config = c
        self.transformer = Transformer(c)
        self.apply(self._init)
        # GPT-2's scaled init of the residual projections
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=c.initializer_range / math.sqrt(2 * c.n_layer))

    def _init(self, m: nn.Module) -> None:
        if isinstance(m, (Conv1D, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=self.config.initializer_range)

    def forward(self, ids: torch.Tensor, caches: list | None = None) -> torch.Tensor:
        """ids [batch, seq] -> logits [batch, seq, vocab] (float32); caches as in torch_llama."""
        s = ids.shape[1]
        past = caches[0][0].shape[2] if caches and caches[0] else 0
        mask = torch.full((s, past + s), float("-inf")).triu(past + 1)
        t = self.transformer
        x = t.wte(ids) + t.wpe(torch.arange(past, past + s))
        for i, block in enumerate(t.h):
            x = block(x, mask, caches[i] if caches is not None else None)
        return (t.ln_f(x) @ t.wte.weight.t()).float()

    def hf_state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v.detach() for k, v in self.state_dict().items()}

    def load_hf_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        self.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
