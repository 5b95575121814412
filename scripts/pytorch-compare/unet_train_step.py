#!/usr/bin/python3
"""The PyTorch side of the training-speed comparison (docs/BENCHMARKS.md, "SharpSeg against PyTorch").

Times training steps of the network SharpSeg's configs/camvid-unet-resnet18-imagenet.yaml trains with
--set model.upsampling=nearest --set model.dropout=0 --set model.head_kernel=3 (the recipe itself upsamples bilinearly,
with a 1x1 head and dropout 0.1): a segmentation_models.pytorch-style U-Net (decoder 256-128-64-32-16, nearest
upsampling, 3x3 head, 11 classes) on a ResNet-18 encoder with
[2, 2, 2, 3] blocks, batch 8 of 176x240 crops, cross-entropy, AdamW with gradient clipping, in the same phases SharpSeg
reports (forward, criterion, backward, optimizer); the input padded to 192x256 and the logits cropped, as SharpSeg does. Random inputs: the data phase is not part of the comparison
(SharpSeg's is 2-3 ms). Debian's python3-torch (PyTorch 1.13), CPU; no other package.

    /usr/bin/python3 scripts/pytorch-compare/unet_train_step.py [--threads 2] [--steps 6] [--channels-last] [--bf16]

--bf16 runs the forward pass under torch.autocast("cpu", torch.bfloat16) with fp32 weights and an fp32 loss, as
SharpSeg's train.precision: bf16 does.
"""
import argparse
import importlib.util
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fx", os.path.join(here, "..", "..", "tests", "fixtures-scripts", "make_pytorch_fixtures.py"))
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)


class Encoder(fx.ResNet):  # SharpSeg's resnet18_imagenet: ResNet-18 with [2, 2, 2, 3] blocks, no classifier
    def __init__(self):
        super().__init__(layers=(2, 2, 2, 3), width=64)
        del self.fc
        del self.avgpool

    def forward(self, x):
        return self.features(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    model = fx.Unet(64, (256, 128, 64, 32, 16), 11)
    model.encoder = Encoder()
    params = sum(t.numel() for t in model.parameters())
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    x = torch.randn(8, 3, 176, 240).to(memory_format=fmt)
    y = torch.randint(0, 11, (8, 176, 240))
    phases = {"forward": [], "criterion": [], "backward": [], "optimizer": []}
    for step in range(a.steps):
        t0 = time.perf_counter()
        # As SharpSeg: the input is padded (reflect) to a multiple of the output stride (32: 176x240 -> 192x256) and the
        # logits cropped back.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            logits = model(F.pad(x, (0, 16, 0, 16), mode="reflect"))[:, :, :176, :240]
        logits = logits.float()
        t1 = time.perf_counter()
        loss = F.cross_entropy(logits, y)
        t2 = time.perf_counter()
        opt.zero_grad()
        loss.backward()
        t3 = time.perf_counter()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        t4 = time.perf_counter()
        if step > 0:  # the first step warms up, as in SharpSeg's phase_ms (iterations 2..N)
            for k, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                phases[k].append(v * 1000)
    mean = {k: sum(v) / len(v) for k, v in phases.items()}
    total = sum(mean.values())
    print(f"PyTorch {torch.__version__}, {a.threads} threads, mkldnn {torch.backends.mkldnn.is_available()}, "
          f"{'channels-last' if a.channels_last else 'NCHW'}, {'bf16 autocast' if a.bf16 else 'fp32'}, {params:,} parameters")
    print("per step (mean of steps 2..%d): " % a.steps + ", ".join(f"{k} {v:.0f} ms" for k, v in mean.items())
          + f"; total {total:.0f} ms, {8000 / total:.2f} images/s")


if __name__ == "__main__":
    main()
