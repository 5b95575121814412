#!/usr/bin/python3
"""Reference values for SharpSeg's losses, written once with PyTorch and committed as a fixture.

Command (from the repository root; Debian's python3-torch, PyTorch 1.13.1, CPU):
    /usr/bin/python3 tests/fixtures-scripts/make_loss_fixtures.py > tests/SharpSeg.Tests/Fixtures/losses/losses.json

The reference losses below are written from the papers' formulas in plain PyTorch, independently of the C# code
(Lovász follows the structure of Berman et al.'s reference lovasz_losses.py; OHEM follows MMSegmentation's
OHEMPixelSampler). Everything is float64. Each case stores the loss value and its gradient w.r.t. the logits.
"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
IGNORE = 255

# Fixed inputs: logits [2, 3, 4, 4] rounded to 2 decimals; targets [2, 4, 4] with a few ignored pixels.
g = torch.Generator().manual_seed(20261125)
LOGITS = (torch.randn(2, 3, 4, 4, generator=g) * 2).round(decimals=2)
TARGET = torch.randint(0, 3, (2, 4, 4), generator=g)
TARGET[0, 0, 0] = IGNORE
TARGET[0, 2, 3] = IGNORE
TARGET[1, 3, 1] = IGNORE
# Binary inputs: logits [2, 1, 4, 4], targets 0/1 with ignored pixels.
BLOGITS = (torch.randn(2, 1, 4, 4, generator=g) * 2).round(decimals=2)
BTARGET = torch.randint(0, 2, (2, 4, 4), generator=g)
BTARGET[0, 1, 1] = IGNORE
BTARGET[1, 0, 3] = IGNORE
WEIGHTS = torch.tensor([0.5, 2.0, 1.0])
# Region inputs for the boundary loss: logits [2, 3, 6, 6]; targets with large regions, so that only some pixels are
# near a boundary (random 4x4 targets have a boundary everywhere).
RLOGITS = (torch.randn(2, 3, 6, 6, generator=g) * 2).round(decimals=2)
RTARGET = torch.zeros(2, 6, 6, dtype=torch.long)
RTARGET[0, :, 3:] = 1
RTARGET[0, 4:, 4:] = 2
RTARGET[0, 0, 0] = IGNORE
RTARGET[0, 5, 0] = IGNORE
RTARGET[1] = 2
RTARGET[1, 2:4, 2:4] = 1
RTARGET[1, 0, :] = IGNORE


def valid_and_onehot(target, channels, binary):
    valid = (target != IGNORE)
    safe = torch.where(valid, target, torch.zeros_like(target))
    if binary and channels == 1:
        onehot = safe.unsqueeze(1).double()
    else:
        onehot = F.one_hot(safe, channels).permute(0, 3, 1, 2).double()
    return valid, safe, onehot * valid.unsqueeze(1)


def probs_of(logits, binary):
    return torch.sigmoid(logits) if binary else torch.softmax(logits, dim=1)


# ---- cross-entropy family ----------------------------------------------------------------------------------------

def ce(logits, target, weight=None, smoothing=0.0):
    return F.cross_entropy(logits, target, weight=weight, ignore_index=IGNORE, label_smoothing=smoothing)


def focal_multiclass(logits, target, gamma, weight=None):
    valid, safe, _ = valid_and_onehot(target, logits.shape[1], False)
    logp = F.log_softmax(logits, dim=1).gather(1, safe.unsqueeze(1)).squeeze(1)
    p = logp.exp()
    w = torch.ones(logits.shape[1]) if weight is None else weight
    pw = w[safe] * valid
    return (-(1 - p) ** gamma * logp * pw).sum() / pw.sum()


def focal_binary(logits, target, gamma, alpha=None):
    # torchvision.ops.sigmoid_focal_loss, written out, averaged over valid pixels and channels.
    valid, _, t = valid_and_onehot(target, logits.shape[1], True)
    p = torch.sigmoid(logits)
    ce_ = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce_ * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    m = valid.unsqueeze(1).expand_as(loss)
    return loss[m].mean()


# ---- overlap losses ----------------------------------------------------------------------------------------------

def counts(logits, target, binary):
    valid, _, g_ = valid_and_onehot(target, logits.shape[1], binary)
    p = probs_of(logits, binary) * valid.unsqueeze(1)
    dims = (0, 2, 3)
    tp = (p * g_).sum(dims)
    fp = (p * (1 - g_)).sum(dims)
    fn = ((1 - p) * g_).sum(dims)
    return tp, fp, fn


def dice(logits, target, smooth=1.0, per_class=True, log_cosh=False, weight=None, binary=False):
    tp, fp, fn = counts(logits, target, binary)
    w = torch.ones_like(tp) if weight is None else weight
    if per_class:
        d = (2 * tp + smooth) / (2 * tp + fp + fn + smooth)
        loss = ((1 - d) * w).sum() / w.sum()
    else:
        loss = 1 - ((2 * tp * w).sum() + smooth) / (((2 * tp + fp + fn) * w).sum() + smooth)
    return torch.log(torch.cosh(loss)) if log_cosh else loss


def tversky(logits, target, alpha, beta, gamma=1.0, smooth=1.0, binary=False):
    tp, fp, fn = counts(logits, target, binary)
    ti = (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)
    return ((1 - ti) ** gamma).mean()


def jaccard(logits, target, smooth=1.0, binary=False):
    tp, fp, fn = counts(logits, target, binary)
    iou = (tp + smooth) / (tp + fp + fn + smooth)
    return (1 - iou).mean()


# ---- Lovász (Berman et al. 2018; structure of the reference lovasz_losses.py) -------------------------------------

def lovasz_grad(gt_sorted):
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jac = 1.0 - intersection / union
    if p > 1:
        jac[1:p] = jac[1:p] - jac[0:-1]
    return jac


def flatten_probas(probas, labels):
    c = probas.shape[1]
    probas = probas.permute(0, 2, 3, 1).reshape(-1, c)
    labels = labels.reshape(-1)
    keep = labels != IGNORE
    return probas[keep], labels[keep]


def lovasz_softmax_flat(probas, labels, classes="present", weight=None):
    if probas.numel() == 0:
        return probas.sum() * 0.0
    losses, ws = [], []
    for c in range(probas.shape[1]):
        fg = (labels == c).double()
        if classes == "present" and fg.sum() == 0:
            continue
        errors = (fg - probas[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
        ws.append(1.0 if weight is None else float(weight[c]))
    if not losses:
        return probas.sum() * 0.0
    return sum(w * l for w, l in zip(ws, losses)) / sum(ws)


def lovasz_softmax(logits, target, per_image=False, classes="present", weight=None):
    probas = torch.softmax(logits, dim=1)
    if per_image:
        vals = [lovasz_softmax_flat(*flatten_probas(p.unsqueeze(0), l.unsqueeze(0)), classes=classes, weight=weight)
                for p, l in zip(probas, target)]
        return sum(vals) / len(vals)
    return lovasz_softmax_flat(*flatten_probas(probas, target), classes=classes, weight=weight)


def lovasz_hinge_flat(logits, labels):
    if len(labels) == 0:
        return logits.sum() * 0.0
    signs = 2.0 * labels.double() - 1.0
    errors = 1.0 - logits * signs
    errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
    return torch.dot(F.relu(errors_sorted), lovasz_grad(labels[perm].double()))


def lovasz_hinge(logits, target, per_image=False):
    # logits [N, 1, H, W], target [N, H, W] in {0, 1, IGNORE}
    def flat(lg, lb):
        lg, lb = lg.reshape(-1), lb.reshape(-1)
        keep = lb != IGNORE
        return lg[keep], lb[keep]
    x = logits[:, 0]
    if per_image:
        vals = [lovasz_hinge_flat(*flat(a, b)) for a, b in zip(x, target)]
        return sum(vals) / len(vals)
    return lovasz_hinge_flat(*flat(x, target))


# ---- boundary-aware and OHEM cross-entropy ------------------------------------------------------------------------

def boundary_mask_loops(target, width):
    # A pixel is near a boundary when its (2w+1)^2 window holds two different non-ignored classes (explicit loops).
    n, h, w = target.shape
    out = torch.zeros(n, h, w, dtype=torch.bool)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                seen = set()
                for yy in range(max(0, y - width), min(h, y + width + 1)):
                    for xx in range(max(0, x - width), min(w, x + width + 1)):
                        v = int(target[b, yy, xx])
                        if v != IGNORE:
                            seen.add(v)
                out[b, y, x] = len(seen) >= 2
    return out


def boundary_ce(logits, target, boundary_weight, width, weight=None):
    per_pixel = F.cross_entropy(logits, target, ignore_index=IGNORE, reduction="none")
    valid = target != IGNORE
    safe = torch.where(valid, target, torch.zeros_like(target))
    w = torch.ones(logits.shape[1]) if weight is None else weight
    b = torch.where(boundary_mask_loops(target, width), torch.tensor(boundary_weight), torch.tensor(1.0))
    pw = w[safe] * valid * b
    return (per_pixel * pw).sum() / pw.sum()


def ohem_ce(logits, target, thresh, min_kept):
    # MMSegmentation OHEMPixelSampler.sample (thresh branch), then the mean over the kept pixels.
    with torch.no_grad():
        seg_weight = logits.new_zeros(size=target.size())
        valid_mask = target != IGNORE
        batch_kept = min_kept * target.size(0)
        valid_seg_weight = seg_weight[valid_mask]
        seg_prob = F.softmax(logits, dim=1)
        tmp = target.clone().unsqueeze(1)
        tmp[tmp == IGNORE] = 0
        seg_prob = seg_prob.gather(1, tmp).squeeze(1)
        sort_prob, _ = seg_prob[valid_mask].sort()
        min_threshold = sort_prob[min(batch_kept, sort_prob.numel() - 1)] if sort_prob.numel() > 0 else 0.0
        threshold = max(float(min_threshold), thresh)
        valid_seg_weight[seg_prob[valid_mask] < threshold] = 1.0
        seg_weight[valid_mask] = valid_seg_weight
    per_pixel = F.cross_entropy(logits, target, ignore_index=IGNORE, reduction="none")
    return (per_pixel * seg_weight).sum() / seg_weight.sum()


CASES = [
    # name, input set, loss function, parameters recorded for the C# side
    ("ce", "multi", lambda x, t: ce(x, t), {}),
    ("ce_weighted_smoothed", "multi", lambda x, t: ce(x, t, WEIGHTS, 0.1), {"weights": True, "label_smoothing": 0.1}),
    ("focal_g2", "multi", lambda x, t: focal_multiclass(x, t, 2.0), {"gamma": 2.0}),
    ("focal_g05_weighted", "multi", lambda x, t: focal_multiclass(x, t, 0.5, WEIGHTS), {"gamma": 0.5, "weights": True}),
    ("focal_binary_multichannel", "multi", lambda x, t: focal_binary(x, t, 2.0, 0.25), {"gamma": 2.0, "alpha": 0.25}),
    ("focal_binary_1ch", "binary", lambda x, t: focal_binary(x, t, 2.0, 0.25), {"gamma": 2.0, "alpha": 0.25}),
    ("bce_1ch", "binary", lambda x, t: focal_binary(x, t, 0.0), {}),
    ("dice", "multi", lambda x, t: dice(x, t), {"smooth": 1.0}),
    ("dice_smooth0", "multi", lambda x, t: dice(x, t, smooth=0.0), {"smooth": 0.0}),
    ("dice_global", "multi", lambda x, t: dice(x, t, per_class=False), {"smooth": 1.0, "per_class": False}),
    ("dice_log_cosh_weighted", "multi", lambda x, t: dice(x, t, log_cosh=True, weight=WEIGHTS), {"smooth": 1.0, "log_cosh": True, "weights": True}),
    ("dice_binary_1ch", "binary", lambda x, t: dice(x, t, binary=True), {"smooth": 1.0}),
    ("dice_binary_multichannel", "multi", lambda x, t: dice(x, t, binary=True), {"smooth": 1.0}),
    ("tversky", "multi", lambda x, t: tversky(x, t, 0.3, 0.7), {"alpha": 0.3, "beta": 0.7, "smooth": 1.0}),
    ("focal_tversky", "multi", lambda x, t: tversky(x, t, 0.3, 0.7, gamma=0.75), {"alpha": 0.3, "beta": 0.7, "gamma": 0.75, "smooth": 1.0}),
    ("tversky_binary_1ch", "binary", lambda x, t: tversky(x, t, 0.7, 0.3, binary=True), {"alpha": 0.7, "beta": 0.3, "smooth": 1.0}),
    ("jaccard", "multi", lambda x, t: jaccard(x, t), {"smooth": 1.0}),
    ("jaccard_smooth0_binary_1ch", "binary", lambda x, t: jaccard(x, t, smooth=0.0, binary=True), {"smooth": 0.0}),
    ("lovasz_softmax", "multi", lambda x, t: lovasz_softmax(x, t), {}),
    ("lovasz_softmax_per_image", "multi", lambda x, t: lovasz_softmax(x, t, per_image=True), {"per_image": True}),
    ("lovasz_softmax_all_weighted", "multi", lambda x, t: lovasz_softmax(x, t, classes="all", weight=WEIGHTS), {"all_classes": True, "weights": True}),
    ("lovasz_hinge", "binary", lambda x, t: lovasz_hinge(x, t), {}),
    ("lovasz_hinge_per_image", "binary", lambda x, t: lovasz_hinge(x, t, per_image=True), {"per_image": True}),
    ("boundary_w3", "regions", lambda x, t: boundary_ce(x, t, 3.0, 1), {"boundary_weight": 3.0, "width": 1}),
    ("boundary_w1_is_ce", "multi", lambda x, t: boundary_ce(x, t, 1.0, 1), {"boundary_weight": 1.0, "width": 1}),
    ("boundary_w5_width2_weighted", "regions", lambda x, t: boundary_ce(x, t, 5.0, 2, WEIGHTS), {"boundary_weight": 5.0, "width": 2, "weights": True}),
    ("ohem_t07_k3", "multi", lambda x, t: ohem_ce(x, t, 0.7, 3), {"thresh": 0.7, "min_kept": 3}),
    ("ohem_t02_k10", "multi", lambda x, t: ohem_ce(x, t, 0.2, 10), {"thresh": 0.2, "min_kept": 10}),
]


def main():
    inputs = {"multi": (LOGITS, TARGET), "binary": (BLOGITS, BTARGET), "regions": (RLOGITS, RTARGET)}
    cases = []
    for name, which, fn, params in CASES:
        logits, target = inputs[which]
        x = logits.clone().requires_grad_(True)
        value = fn(x, target)
        value.backward()
        cases.append({"name": name, "input": which, "params": params, "value": value.item(),
                      "grad": [round(v, 12) for v in x.grad.reshape(-1).tolist()]})
    out = {
        "generator": "tests/fixtures-scripts/make_loss_fixtures.py, PyTorch " + torch.__version__ + ", float64",
        "ignore_index": IGNORE,
        "class_weights": WEIGHTS.tolist(),
        "multi": {"logits_shape": list(LOGITS.shape), "logits": LOGITS.reshape(-1).tolist(), "target": TARGET.reshape(-1).tolist()},
        "binary": {"logits_shape": list(BLOGITS.shape), "logits": BLOGITS.reshape(-1).tolist(), "target": BTARGET.reshape(-1).tolist()},
        "regions": {"logits_shape": list(RLOGITS.shape), "logits": RLOGITS.reshape(-1).tolist(), "target": RTARGET.reshape(-1).tolist()},
        "regions_boundary_mask_width1": boundary_mask_loops(RTARGET, 1).reshape(-1).int().tolist(),
        "regions_boundary_mask_width2": boundary_mask_loops(RTARGET, 2).reshape(-1).int().tolist(),
        "cases": cases,
    }
    # One line per top-level entry and per case, so that a diff of the fixture shows which case changed.
    lines = []
    for key, value in out.items():
        if key == "cases":
            inner = ",\n".join("  " + json.dumps(c) for c in value)
            lines.append(f' "cases": [\n{inner}\n ]')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    print("{\n" + ",\n".join(lines) + "\n}")


if __name__ == "__main__":
    main()
