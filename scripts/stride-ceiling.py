#!/usr/bin/python3
"""How much of each class an output stride can hold (accuracy-per-CPU-hour issue, CamVid's thin classes).

An oracle in place of a model: for each val mask, the perfect class probabilities of a network that sees the frame at
scale S and predicts at output stride K are the class fractions of each K x K cell (area means of the one-hot mask at
S x the frame size / K). They are stretched back bilinearly to the frame (align_corners=False, as SharpSeg resizes
logits) and arg-maxed; the IoU of that against the mask is the ceiling of a model that is right about every cell but
cannot say where inside a cell a class lies. Void (the ignore index) counts in no class.

Usage: /usr/bin/python3 scripts/stride-ceiling.py DATASET_DIR [SPLIT]   (needs python3-torch; a measurement tool only)
"""
import sys, glob, os
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

root = sys.argv[1]
split = sys.argv[2] if len(sys.argv) > 2 else "val"
names = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist"]
C, VOID = 11, 11
masks = sorted(glob.glob(os.path.join(root, split, "masks", "*.png")))
if not masks:
    sys.exit(f"{root}/{split}/masks: no masks found")
configs = [(s, k) for s in (0.5, 0.75, 1.0) for k in (1, 2, 4, 8)]
inter = {c: np.zeros(C) for c in configs}
union = {c: np.zeros(C) for c in configs}
for path in masks:
    m = torch.from_numpy(np.array(Image.open(path), dtype=np.int64))
    h, w = m.shape
    valid = m != VOID
    onehot = F.one_hot(m.clamp(max=C), C + 1)[..., :C].permute(2, 0, 1).float().unsqueeze(0)  # void: all zeros
    for s, k in configs:
        size = (max(1, round(h * s / k)), max(1, round(w * s / k)))
        coarse = F.interpolate(onehot, size=size, mode="area")
        pred = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False).argmax(1)[0]
        for c in range(C):
            p, g = (pred == c) & valid, (m == c)
            inter[(s, k)][c] += (p & g).sum().item()
            union[(s, k)][c] += (p | g).sum().item()
print(f"{len(masks)} masks of {root}/{split}; IoU (%) of the oracle per inference scale S and output stride K")
print("scale stride  mIoU  " + " ".join(f"{n[:10]:>10}" for n in names))
for s, k in configs:
    iou = 100 * inter[(s, k)] / np.maximum(union[(s, k)], 1)
    print(f"{s:5.2f} {k:6d} {iou.mean():5.1f}  " + " ".join(f"{v:10.1f}" for v in iou))
