# Runs llama.cpp's convert_hf_to_gguf.py under Debian's torch 1.13, which lacks dtypes it only names.
import sys, runpy, torch
for name in ["float8_e4m3fn", "float8_e5m2", "uint16", "uint32", "uint64"]:
    if not hasattr(torch, name): setattr(torch, name, torch.float32)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
