#!/usr/bin/python3
"""Reference forward pass of SharpSeg's Mask2Former decoder (pixel decoder + transformer decoder + heads + semantic
composition), written once with PyTorch and committed as a fixture.

Command (from the repository root; Debian's python3-torch, PyTorch 1.13.1, CPU):
    /usr/bin/python3 tests/fixtures-scripts/make_mask2former_forward_fixture.py \
        > tests/SharpSeg.Tests/Fixtures/maskclassification/forward.json

A plain-torch re-implementation from the papers and the official code (facebookresearch/Mask2Former:
BasePixelDecoder of MaskFormer, MultiScaleMaskedTransformerDecoder with CrossAttentionLayer / SelfAttentionLayer /
FFNLayer in post-norm, forward_prediction_heads, semantic_inference), with SharpSeg's documented deviations (no sine
positional encoding on the pixel features, semantic map composed at stride 4 and returned as its log clamped at 1e-8).
Masked attention is written as the official code does it: a boolean mask filled with -inf, with a query whose mask is
empty everywhere attending everywhere. Tiny sizes, float64, random weights stored by SharpSeg's parameter names; the
decoder's input is four random feature maps (strides 4, 8, 16, 32) instead of an encoder's.
"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(20261204)
K, D, HEADS, FFN, LAYERS, Q = 2, 8, 2, 16, 4, 3
CHANNELS = [3, 4, 5, 6]
SIZES = [(16, 24), (8, 12), (4, 6), (2, 3)]
N = 2
params = {}
STATS = []  # share of masked (query, position) pairs per prediction


def p(name, *shape, scale=0.5):
    t = (torch.randn(*shape, generator=g) * scale).round(decimals=3)
    params[name] = t
    return t


# ---- weights, named as SharpSeg's MaskFormerDecoder.named_parameters() -------------------------------------------
for i in range(3):
    p(f"laterals.{i}.0.weight", D, CHANNELS[i], 1, 1)
    p(f"laterals.{i}.1.weight", D, scale=0.2).add_(1)
    p(f"laterals.{i}.1.bias", D, scale=0.2)
for i in range(4):
    p(f"outputs.{i}.0.weight", D, CHANNELS[3] if i == 3 else D, 3, 3, scale=0.3)
    p(f"outputs.{i}.1.weight", D, scale=0.2).add_(1)
    p(f"outputs.{i}.1.bias", D, scale=0.2)
p("maskFeatures.weight", D, D, 3, 3, scale=0.3)
p("maskFeatures.bias", D, scale=0.1)
p("queryFeat", Q, D, scale=1.0)
p("queryEmbed", Q, D, scale=1.0)
p("levelEmbed", 3, D, scale=1.0)
for l in range(LAYERS):
    for att in ("crossAttention", "selfAttention"):
        for m in ("q", "k", "v", "proj"):
            p(f"layers.{l}.{att}.{m}.weight", D, D)
            p(f"layers.{l}.{att}.{m}.bias", D, scale=0.1)
    for nrm in ("norm1", "norm2", "norm3"):
        p(f"layers.{l}.{nrm}.weight", D, scale=0.2).add_(1)
        p(f"layers.{l}.{nrm}.bias", D, scale=0.1)
    p(f"layers.{l}.linear1.weight", FFN, D)
    p(f"layers.{l}.linear1.bias", FFN, scale=0.1)
    p(f"layers.{l}.linear2.weight", D, FFN)
    p(f"layers.{l}.linear2.bias", D, scale=0.1)
p("decoderNorm.weight", D, scale=0.2).add_(1)
p("decoderNorm.bias", D, scale=0.1)
p("classEmbed.weight", K + 1, D)
p("classEmbed.bias", K + 1, scale=0.1)
for i in (0, 2, 4):
    p(f"maskEmbed.{i}.weight", D, D)
    p(f"maskEmbed.{i}.bias", D, scale=0.1)

FEATURES = [(torch.randn(N, c, h, w, generator=g)).round(decimals=3) for c, (h, w) in zip(CHANNELS, SIZES)]
W = params


# ---- pixel decoder (MaskFormer's BasePixelDecoder) ---------------------------------------------------------------
def conv_gn(x, prefix, relu, pad):
    y = F.conv2d(x, W[prefix + ".0.weight"], padding=pad)
    y = F.group_norm(y, D, W[prefix + ".1.weight"], W[prefix + ".1.bias"], eps=1e-5)
    return F.relu(y) if relu else y


def pixel_decoder(feats):
    y = conv_gn(feats[3], "outputs.3", True, 1)
    multi = [y]
    for k in (2, 1, 0):
        lateral = conv_gn(feats[k], f"laterals.{k}", False, 0)
        y = lateral + F.interpolate(y, size=lateral.shape[-2:], mode="nearest")
        y = conv_gn(y, f"outputs.{k}", True, 1)
        if k >= 1:
            multi.append(y)
    mf = F.conv2d(y, W["maskFeatures.weight"], W["maskFeatures.bias"], padding=1)
    return multi, mf


# ---- transformer decoder -----------------------------------------------------------------------------------------
def linear(x, prefix):
    return F.linear(x, W[prefix + ".weight"], W[prefix + ".bias"])


def attention(prefix, query, key, value, mask):
    # nn.MultiheadAttention (batch first) with separate projections; mask [N, Q, M] True = not allowed.
    n, lq, _ = query.shape
    d = D // HEADS
    q = linear(query, prefix + ".q").reshape(n, lq, HEADS, d).transpose(1, 2)
    k = linear(key, prefix + ".k").reshape(n, -1, HEADS, d).transpose(1, 2)
    v = linear(value, prefix + ".v").reshape(n, -1, HEADS, d).transpose(1, 2)
    scores = q @ k.transpose(-2, -1) / d ** 0.5
    if mask is not None:
        scores = scores.masked_fill(mask[:, None], float("-inf"))
    out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, lq, D)
    return linear(out, prefix + ".proj")


def layer_norm(x, prefix):
    return F.layer_norm(x, (D,), W[prefix + ".weight"], W[prefix + ".bias"], eps=1e-5)


def predict(tgt, mf, size):
    out = layer_norm(tgt, "decoderNorm")
    cls = linear(out, "classEmbed")
    e = F.relu(linear(out, "maskEmbed.0"))
    e = F.relu(linear(e, "maskEmbed.2"))
    e = linear(e, "maskEmbed.4")
    masks = torch.einsum("bqc,bchw->bqhw", e, mf)
    attn = F.interpolate(masks, size=size, mode="bilinear", align_corners=False)
    attn = attn.sigmoid().flatten(2) < 0.5
    attn[torch.where(attn.sum(-1) == attn.shape[-1])] = False
    STATS.append(attn.double().mean().item())
    return cls, masks, attn


def decoder(feats):
    multi, mf = pixel_decoder(feats)
    memory = [m.flatten(2).transpose(1, 2) + W["levelEmbed"][l] for l, m in enumerate(multi)]
    tgt = W["queryFeat"][None].expand(N, -1, -1)
    pos = W["queryEmbed"][None]
    preds = []
    cls, masks, attn = predict(tgt, mf, multi[0].shape[-2:])
    preds.append((cls, masks))
    for i in range(LAYERS):
        l = i % 3
        pre = f"layers.{i}"
        tgt = layer_norm(tgt + attention(pre + ".crossAttention", tgt + pos, memory[l], memory[l], attn), pre + ".norm1")
        qk = tgt + pos
        tgt = layer_norm(tgt + attention(pre + ".selfAttention", qk, qk, tgt, None), pre + ".norm2")
        tgt = layer_norm(tgt + linear(F.relu(linear(tgt, pre + ".linear1")), pre + ".linear2"), pre + ".norm3")
        cls, masks, attn = predict(tgt, mf, multi[(i + 1) % 3].shape[-2:])
        preds.append((cls, masks))
    probs = preds[-1][0].softmax(-1)[..., :-1]
    semantic = torch.einsum("bqc,bqhw->bchw", probs, preds[-1][1].sigmoid())
    return preds, semantic.clamp(min=1e-8).log()


def main():
    preds, semantic = decoder(FEATURES)
    # How many query masks masked attention actually restricted (so the fixture exercises it).
    multi, mf = pixel_decoder(FEATURES)
    out = {
        "num_classes": K, "hidden_dim": D, "heads": HEADS, "ffn": FFN, "layers": LAYERS, "queries": Q,
        "channels": CHANNELS,
        "features": [{"shape": list(f.shape), "values": f.flatten().tolist()} for f in FEATURES],
        "params": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in params.items()},
        "class_logits": [c.flatten().tolist() for c, _ in preds],
        # Mask logits of the first and the last prediction (the others shape the last one through masked attention).
        "mask_logits_first": preds[0][1].flatten().tolist(),
        "mask_logits_last": preds[-1][1].flatten().tolist(),
        "semantic_shape": list(semantic.shape),
        "semantic": semantic.flatten().tolist(),
    }
    out["masked_share"] = STATS[:LAYERS + 1]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
