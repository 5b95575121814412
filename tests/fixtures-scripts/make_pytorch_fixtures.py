#!/usr/bin/python3
"""PyTorch-side fixtures for SharpSeg's weight exchange (PyTorchFixtureTests), written once and committed.

Command (from the repository root; Debian's python3-torch, PyTorch 1.13.1, CPU; no torchvision, SMP or safetensors
package is needed):
    /usr/bin/python3 tests/fixtures-scripts/make_pytorch_fixtures.py tests/SharpSeg.Tests/Fixtures/pytorch

Writes, with fixed seeds:
  tv_resnet18_w4.pth / .safetensors   torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2], fc with 10 classes) at
                                      width 4 instead of 64 (so the files stay small), under torchvision's exact
                                      state-dict keys; the model is rebuilt here in plain torch.
  smp_unet_resnet18_w4.pth            segmentation_models.pytorch 0.3's Unet(encoder "resnet18" at width 4,
                                      decoder_channels (16, 8, 8, 8, 4), classes 3), same keys as SMP: encoder.*,
                                      decoder.blocks.N.conv1.0/1, conv2.0/1 (Conv2dReLU), segmentation_head.0.*.
  expected.safetensors                the fixed input [1, 3, 64, 96] and, in eval mode, the ResNet's layer1..layer4
                                      maps (tv.layer1..4) and the U-Net's logits (smp.logits).
Every BatchNorm gets random affine parameters and running statistics, so eval-mode BatchNorm is really exercised.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):  # torchvision.models.resnet.BasicBlock
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):  # torchvision.models.resnet.ResNet with a width parameter (64 in torchvision)
    def __init__(self, layers=(2, 2, 2, 2), width=64, num_classes=1000):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(2 * width, layers[1], 2)
        self.layer3 = self._make_layer(4 * width, layers[2], 2)
        self.layer4 = self._make_layer(8 * width, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def features(self, x):  # SMP's ResNetEncoder.forward: [x, stem, layer1, layer2, layer3, layer4]
        stem = self.relu(self.bn1(self.conv1(x)))
        f1 = self.layer1(self.maxpool(stem))
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        f4 = self.layer4(f3)
        return [x, stem, f1, f2, f3, f4]


class SmpResNetEncoder(ResNet):  # segmentation_models_pytorch.encoders.resnet.ResNetEncoder
    def __init__(self, width):
        super().__init__(width=width)
        del self.fc
        del self.avgpool

    def forward(self, x):
        return self.features(x)


class Conv2dReLU(nn.Sequential):  # segmentation_models_pytorch.base.modules.Conv2dReLU (use_batchnorm=True)
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DecoderBlock(nn.Module):  # segmentation_models_pytorch.decoders.unet.decoder.DecoderBlock (no attention)
    def __init__(self, cin, skip, cout):
        super().__init__()
        self.conv1 = Conv2dReLU(cin + skip, cout)
        self.attention1 = nn.Identity()
        self.conv2 = Conv2dReLU(cout, cout)
        self.attention2 = nn.Identity()

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
            x = self.attention1(x)
        x = self.conv2(self.conv1(x))
        return self.attention2(x)


class UnetDecoder(nn.Module):  # segmentation_models_pytorch.decoders.unet.decoder.UnetDecoder (center=False)
    def __init__(self, encoder_channels, decoder_channels):
        super().__init__()
        encoder_channels = encoder_channels[1:][::-1]
        in_channels = [encoder_channels[0]] + list(decoder_channels[:-1])
        skip_channels = list(encoder_channels[1:]) + [0]
        self.center = nn.Identity()
        self.blocks = nn.ModuleList([DecoderBlock(i, s, o) for i, s, o in zip(in_channels, skip_channels, decoder_channels)])

    def forward(self, *features):
        features = features[1:][::-1]
        x = self.center(features[0])
        skips = features[1:]
        for i, block in enumerate(self.blocks):
            x = block(x, skips[i] if i < len(skips) else None)
        return x


class Unet(nn.Module):  # segmentation_models_pytorch.Unet
    def __init__(self, width, decoder_channels, classes):
        super().__init__()
        self.encoder = SmpResNetEncoder(width)
        self.decoder = UnetDecoder((3, width, width, 2 * width, 4 * width, 8 * width), decoder_channels)
        self.segmentation_head = nn.Sequential(nn.Conv2d(decoder_channels[-1], classes, 3, padding=1), nn.Identity(), nn.Identity())

    def forward(self, x):
        return self.segmentation_head(self.decoder(*self.encoder(x)))


def randomise_batchnorm(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = 1 + 0.2 * torch.randn(n, generator=g)
            m.bias.data = 0.1 * torch.randn(n, generator=g)
            m.running_mean = 0.1 * torch.randn(n, generator=g)
            m.running_var = 0.5 + torch.rand(n, generator=g)
            m.num_batches_tracked = torch.tensor(7)


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout, written by hand (no safetensors package): u64 header size, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    dtypes = {torch.float32: "F32", torch.int64: "I64", torch.float64: "F64"}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(20261125)
    g = torch.Generator().manual_seed(20261125)
    x = torch.randn(1, 3, 64, 96, generator=g)

    tv = ResNet(width=4, num_classes=10)
    randomise_batchnorm(tv, g)
    tv.eval()
    torch.save(tv.state_dict(), os.path.join(out, "tv_resnet18_w4.pth"))
    write_safetensors(os.path.join(out, "tv_resnet18_w4.safetensors"), tv.state_dict(), {"format": "pt"})

    unet = Unet(width=4, decoder_channels=(16, 8, 8, 8, 4), classes=3)
    randomise_batchnorm(unet, g)
    unet.eval()
    torch.save(unet.state_dict(), os.path.join(out, "smp_unet_resnet18_w4.pth"))

    with torch.no_grad():
        feats = tv.features(x)
        expected = {"input": x, "smp.logits": unet(x)}
        for i in range(1, 5):
            expected[f"tv.layer{i}"] = feats[i + 1]
    write_safetensors(os.path.join(out, "expected.safetensors"), expected, {"torch": torch.__version__})
    print("wrote", sorted(os.listdir(out)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/SharpSeg.Tests/Fixtures/pytorch")
