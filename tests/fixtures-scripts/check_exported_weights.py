#!/usr/bin/python3
"""Loads weights written by `sharpseg export-weights --layout torchvision-encoder` into torchvision's ResNet
(rebuilt in plain torch by make_pytorch_fixtures.py, same state-dict keys) and compares its feature maps with the ones
SharpSeg computed. Used by WeightsExportTests.PyTorchLoadsTheExportedEncoder (skipped where python3-torch is absent):
    /usr/bin/python3 tests/fixtures-scripts/check_exported_weights.py WEIGHTS.safetensors EXPECTED.safetensors LAYERS
LAYERS: blocks per layer, e.g. 2,2,2,2. Prints the max abs difference of layer1..layer4; exit 1 if a key is missing.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_pytorch_fixtures import ResNet  # noqa: E402


def read_safetensors(path):
    """The safetensors layout, read by hand (what safetensors.torch.load_file returns)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "I64": np.int64, "F64": np.float64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:end], dtype=dtypes[e["dtype"]]).copy().reshape(e["shape"]))
    return out


weights, expected = read_safetensors(sys.argv[1]), read_safetensors(sys.argv[2])
model = ResNet(layers=tuple(int(v) for v in sys.argv[3].split(",")), width=64)
result = model.load_state_dict(weights, strict=False)
if result.unexpected_keys or set(result.missing_keys) != {"fc.weight", "fc.bias"}:
    print("keys do not fit:", result)
    sys.exit(1)
model.eval()
with torch.no_grad():
    feats = model.features(expected["input"])
for i in range(1, 5):
    print(f"layer{i} {(feats[i + 1] - expected[f'layer{i}']).abs().max().item():.3e}")
