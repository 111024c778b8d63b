#!/usr/bin/python3
"""Saves the bundled and tiny-random checkpoints with torch.save, as pytorch_model.bin.

Run at test time by CTest (fixture torch_bin_checkpoints), never committed:

    /usr/bin/python3 tools/torch_bin_checkpoints.py OUT_DIR

For every safetensors checkpoint under data/models/ and data/golden/tiny-random/ it writes
OUT_DIR/<name>/ with the same config, tokenizer and reference files and the same tensors saved
by torch.save (zip format, protocol 2, as transformers' save_pretrained(safe_serialization=False)
does) in an OrderedDict carrying a `_metadata` attribute as nn.Module.state_dict() does. The
sharded tiny-random checkpoint becomes pytorch_model-0000K-of-00002.bin shards with a
pytorch_model.bin.index.json. Two extra variants:

- views/: llama-f32 whose tensors are all views into one shared flat storage (non-zero storage
  offsets), plus an int64 `position_ids` buffer, as GPT-2 checkpoints on the hub carry;
- evil/: tiny-abc-llama with a pytorch_model.bin whose pickle calls os.system on REDUCE
  (`touch OUT_DIR/evil/EXECUTED`); a safe reader refuses it and the file never appears.
"""
import collections
import json
import os
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from safetensors_io import load_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")


def state_dict(tensors):
    sd = collections.OrderedDict(sorted(tensors.items()))
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


def copy_side_files(src, dst):
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and not f.name.endswith(".safetensors") and f.name not in WEIGHT_FILES:
            shutil.copy(f, dst / f.name)


def convert(src, dst):
    copy_side_files(src, dst)
    index = src / "model.safetensors.index.json"
    if not index.exists():
        torch.save(state_dict(load_file(src / "model.safetensors")), dst / "pytorch_model.bin")
        return
    weight_map = json.loads(index.read_text())["weight_map"]
    shards = sorted(set(weight_map.values()))
    names = {}
    for i, shard in enumerate(shards):
        name = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        names[shard] = name
        torch.save(state_dict(load_file(src / shard)), dst / name)
    new_map = {t: names[s] for t, s in weight_map.items()}
    (dst / "pytorch_model.bin.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": new_map}, indent=2))


def write_views(src, dst):
    copy_side_files(src, dst)
    tensors = load_file(src / "model.safetensors")
    flat = torch.cat([tensors[n].flatten() for n in sorted(tensors)])
    views, offset = collections.OrderedDict(), 0
    for n in sorted(tensors):
        numel = tensors[n].numel()
        views[n] = flat[offset:offset + numel].view(tensors[n].shape)
        offset += numel
    views["position_ids"] = torch.arange(8, dtype=torch.int64).view(1, 8)
    torch.save(views, dst / "pytorch_model.bin")


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + str(self.marker),))


def write_evil(src, dst):
    copy_side_files(src, dst)
    tensors = state_dict(load_file(src / "model.safetensors"))
    tensors["model.hook"] = Evil(dst / "EXECUTED")
    torch.save(tensors, dst / "pytorch_model.bin")


def main():
    out = Path(sys.argv[1])
    if out.exists():
        shutil.rmtree(out)
    sources = sorted((ROOT / "data/models").iterdir()) + sorted(
        d for d in (ROOT / "data/golden/tiny-random").iterdir() if d.is_dir())
    for src in sources:
        convert(src, out / src.name)
    write_views(ROOT / "data/golden/tiny-random/llama-f32", out / "views")
    write_evil(ROOT / "data/models/tiny-abc-llama", out / "evil")
    print(f"wrote {len(sources) + 2} torch.save checkpoints under {out}")


if __name__ == "__main__":
    main()
