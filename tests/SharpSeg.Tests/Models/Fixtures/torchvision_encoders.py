"""Writes torchvision_encoders.json: feature maps of torchvision backbones and logits of torchvision segmentation
models with deterministic weights.

Run (torch 2.11, torchvision 0.26 were used):  python3 torchvision_encoders.py > torchvision_encoders.json
Every parameter/buffer is filled from its state-dict key by fill() below (TorchvisionFixtureTests does the same in C#),
so matching names give identical weights without shipping weight files. Models run in eval mode (running statistics).
"""
import json, math
import torch, torchvision


def key_hash(key):
    return sum((i + 1) * ord(c) for i, c in enumerate(key)) % 997


def fill(key, t):
    if key.endswith("num_batches_tracked"):
        return
    n = t.numel()
    h = key_hash(key)
    s = torch.sin(torch.arange(n, dtype=torch.float64) * 0.37 + h)
    if key.endswith("running_var"):
        v = 1.0 + 0.25 * s
    elif key.endswith("running_mean"):
        v = 0.1 * s
    elif t.dim() == 1 and key.endswith("weight"):
        v = 1.0 + 0.1 * s
    elif t.dim() == 1:
        v = 0.05 * s
    else:
        v = s / math.sqrt(n / t.shape[0])
    t.copy_(v.reshape(t.shape).to(t.dtype))


def image():
    n = 1 * 3 * 64 * 96
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.01).reshape(1, 3, 64, 96).float()


SAMPLES = 12


def summary(t):
    flat = t.flatten().double()
    idx = [(k * 7919) % flat.numel() for k in range(SAMPLES)]
    return {"shape": list(t.shape), "sum": flat.sum().item(), "abs_sum": flat.abs().sum().item(),
            "indices": idx, "values": [flat[i].item() for i in idx]}


def resnet_maps(m, x):
    stem = m.relu(m.bn1(m.conv1(x)))
    f1 = m.layer1(m.maxpool(stem))
    f2 = m.layer2(f1)
    f3 = m.layer3(f2)
    f4 = m.layer4(f3)
    return [stem, f1, f2, f3, f4]


def features_maps(m, x, ends):
    out = []
    for i, layer in enumerate(m.features):
        x = layer(x)
        if i in ends:
            out.append(x)
    return out


def run(model, maps):
    with torch.no_grad():
        for k, v in model.state_dict().items():
            fill(k, v)
        model.eval()
        return [summary(t) for t in maps(model, image())]


cases = {
    "resnet18/32": run(torchvision.models.resnet18(), resnet_maps),
    "resnet50/8": run(torchvision.models.resnet50(replace_stride_with_dilation=[False, True, True]), resnet_maps),
    "mobilenet_v2/32": run(torchvision.models.mobilenet_v2(), lambda m, x: features_maps(m, x, {1, 3, 6, 13, 18})),
    "mobilenet_v3_large/16": run(torchvision.models.mobilenet_v3_large(dilated=True), lambda m, x: features_maps(m, x, {0, 2, 4, 7, 16})),
}
seg = torchvision.models.segmentation
kw = dict(weights=None, weights_backbone=None, num_classes=3)
models = {  # [out, aux] logits
    "lraspp/mobilenet_v3_large": seg.lraspp_mobilenet_v3_large(**kw),
    "deeplabv3/mobilenet_v3_large": seg.deeplabv3_mobilenet_v3_large(aux_loss=True, **kw),
    "deeplabv3/resnet50": seg.deeplabv3_resnet50(aux_loss=True, **kw),
    "fcn/resnet50": seg.fcn_resnet50(aux_loss=True, **kw),
}
for name, m in models.items():
    cases[name] = run(m, lambda m, x: [v for v in m(x).values()])
print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "cases": cases}, indent=1))
