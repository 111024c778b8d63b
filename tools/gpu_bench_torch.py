#!/usr/bin/env python3
"""PyTorch reference for tests/bench/bench_gpu: eager LlamaForCausalLM prefill on the LLaMA-2 7B
shape (hidden 4096, 32 layers, 32 heads, ffn 11008, vocab 32000) in bf16 with random weights from
the config (nothing is downloaded), batch 8 x 2048 tokens, logits of the last token of each
sequence only (as tunebench's benchmark asks for). Prints one line per figure:

  torch_prefill_seconds S      (median of the timed runs, default attention implementation)
  torch_prefill_eager_attention_seconds S   (attn_implementation="eager", when it runs)

or `torch_skip REASON` and exit code 77 when torch, transformers or a CUDA device is missing.
Run by tools/gpu-check.sh, which prints tunebench's ratio against it.
"""
import sys
import time


def main() -> int:
    try:
        import torch
        import transformers
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        print(f"torch_skip torch/transformers not importable: {e}")
        return 77
    if not torch.cuda.is_available():
        print("torch_skip no CUDA device visible to torch")
        return 77
    batch, seq = 8, 2048
    config = transformers.LlamaConfig(
        vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096,
        rms_norm_eps=1e-5, rope_theta=10000.0, torch_dtype="bfloat16")
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.cuda.get_device_name(0)}", flush=True)
    torch.manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (batch, seq), device="cuda")

    def timed(model, label):
        kwargs = {"use_cache": False}
        try:
            with torch.inference_mode():
                model(ids[:, :8], logits_to_keep=1, **kwargs)
            kwargs["logits_to_keep"] = 1
        except TypeError:  # older transformers: full logits (about 1 GB in bf16), still timed
            pass
        times = []
        with torch.inference_mode():
            for i in range(4):
                torch.cuda.synchronize()
                start = time.perf_counter()
                model(ids, **kwargs)
                torch.cuda.synchronize()
                if i > 0:  # the first run warms up kernels and the allocator
                    times.append(time.perf_counter() - start)
        times.sort()
        print(f"{label} {times[len(times) // 2]:.4f}", flush=True)

    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = transformers.LlamaForCausalLM(config).eval()
    timed(model, "torch_prefill_seconds")
    try:
        model.config._attn_implementation = "eager"
        for layer in model.model.layers:
            layer.self_attn.config._attn_implementation = "eager"
        timed(model, "torch_prefill_eager_attention_seconds")
    except Exception as e:  # noqa: BLE001 - the second figure is optional
        print(f"torch_eager_attention_skip {type(e).__name__}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
