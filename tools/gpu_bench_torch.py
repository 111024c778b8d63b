#!/usr/bin/env python3
"""PyTorch reference for tests/bench/bench_gpu: transformers' LlamaForCausalLM prefill in bf16 with
random weights from the config (nothing is downloaded), batch 8 x 2048 tokens, logits of the last
token of each sequence only (as tunebench's benchmark asks for), on the shapes bench_gpu measures:

  llama2-7b   hidden 4096, 32 layers, 32 heads (head 128), ffn 11008, vocab 32000
  mupt-1.3b   hidden 1536, 48 layers, 24 heads (head 64), ffn 6144, vocab 50000

Each shape is timed with attn_implementation "sdpa" (torch.nn.functional.scaled_dot_product_
attention, transformers' default and what users run) and "eager". One line per figure:

  torch_prefill_seconds SHAPE IMPL S     (median of the timed runs)

or `torch_skip REASON` and exit code 77 when torch, transformers or a CUDA device is missing.
Run by tools/gpu-check.sh, which prints tunebench's ratio against each.
Usage: gpu_bench_torch.py [SHAPE...]   (default: both)
"""
import sys
import time

SHAPES = {
    "llama2-7b": dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008,
                      num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32),
    "mupt-1.3b": dict(vocab_size=50000, hidden_size=1536, intermediate_size=6144,
                      num_hidden_layers=48, num_attention_heads=24, num_key_value_heads=24),
}


def main() -> int:
    shapes = sys.argv[1:] or list(SHAPES)
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        print(f"gpu_bench_torch: unknown shape {unknown[0]} (known: {', '.join(SHAPES)})")
        return 2
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
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.cuda.get_device_name(0)}", flush=True)
    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)

    def timed(model, ids, label):
        kwargs = {"use_cache": False}
        try:
            with torch.inference_mode():
                model(ids[:, :8], logits_to_keep=1, **kwargs)
            kwargs["logits_to_keep"] = 1
        except TypeError:  # older transformers: full logits, still timed
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
        print(f"torch_prefill_seconds {label} {times[len(times) // 2]:.4f}", flush=True)

    for shape in shapes:
        ids = torch.randint(0, SHAPES[shape]["vocab_size"], (batch, seq), device="cuda")
        for impl in ("sdpa", "eager"):
            try:
                config = transformers.LlamaConfig(
                    **SHAPES[shape], max_position_embeddings=4096, rms_norm_eps=1e-5,
                    rope_theta=10000.0, attn_implementation=impl)
                with torch.device("cuda"):
                    model = transformers.LlamaForCausalLM(config).eval()
                timed(model, ids, f"{shape} {impl}")
            except Exception as e:  # noqa: BLE001 - report and go on to the next figure
                print(f"torch_error {shape} {impl} {type(e).__name__}: {e}", flush=True)
            finally:
                model = None
                torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
