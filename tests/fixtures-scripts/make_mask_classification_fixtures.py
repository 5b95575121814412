#!/usr/bin/python3
"""Reference values for SharpSeg's MaskFormer/Mask2Former set criterion, written once with PyTorch and committed.

Command (from the repository root; Debian's python3-torch, PyTorch 1.13.1, CPU; scipy for the assignment):
    /usr/bin/python3 tests/fixtures-scripts/make_mask_classification_fixtures.py \
        > tests/SharpSeg.Tests/Fixtures/maskclassification/criterion.json

A small plain-torch re-implementation of Mask2Former's HungarianMatcher and SetCriterion (facebookresearch/Mask2Former,
mask2former/modeling/matcher.py and criterion.py), independent of the C# code, with two changes that SharpSeg makes on
purpose: the sampled points are fixed inputs here (so no randomness is involved: the matching points per image, the
loss points per ground-truth mask), and ignore pixels are left out of the mask terms by a per-point weight (the
bilinearly sampled validity map). Ground truth for semantic segmentation: one binary mask per class present.
Everything is float64. Two decoder layers (deep supervision): each is matched and scored on its own, the total is
the sum. Stored: the matches, each cost matrix, each loss term and the gradients of the total w.r.t. the class
logits and the mask logits.
"""
import json

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

torch.set_default_dtype(torch.float64)
IGNORE = 255
K = 3            # classes (the no-object class is index K)
Q = 5            # queries
LAYERS = 2       # decoder layers with predictions
P_MATCH = 9      # points for the matching
P_LOSS = 7       # points for the loss, per matched mask
W_CLASS, W_MASK, W_DICE, EOS = 2.0, 5.0, 5.0, 0.1

g = torch.Generator().manual_seed(20261204)
CLASS_LOGITS = (torch.randn(LAYERS, 2, Q, K + 1, generator=g) * 2).round(decimals=2)
# Mask logits at a quarter of the 8x8 label map's resolution... except that the padded frame is 12x12 for a 10x10
# image, so the logits [2, 5, 3, 3] cover a frame larger than the image: extent 10/12 in both directions.
MASK_LOGITS = (torch.randn(LAYERS, 2, Q, 3, 3, generator=g) * 3).round(decimals=2)
EXTENT = (10 / 12, 10 / 12)  # (y, x): the image's share of the padded frame the mask logits cover
TARGET = torch.zeros(2, 10, 10, dtype=torch.long)
TARGET[0, :, 5:] = 2
TARGET[0, 6:, :3] = 1
TARGET[0, 0, :4] = IGNORE
TARGET[0, 9, 9] = IGNORE
TARGET[1] = 1
TARGET[1, 3:7, 2:8] = 0
TARGET[1, :, 0] = IGNORE
MATCH_POINTS = torch.rand(2, P_MATCH, 2, generator=g).round(decimals=3)           # per image, (x, y) in [0, 1]
LOSS_POINTS = [torch.rand(3, P_LOSS, 2, generator=g).round(decimals=3) for _ in range(2)]  # per image, per gt mask


def point_sample(maps, points, extent=(1.0, 1.0)):
    """maps [C, H, W], points [P, 2] as (x, y) in [0, 1] of the image → [C, P]; Mask2Former's point_sample
    (grid_sample, bilinear, zero padding, align_corners=False) with the coordinates scaled into the padded frame."""
    p = points.clone()
    p[:, 0] = p[:, 0] * extent[1]
    p[:, 1] = p[:, 1] * extent[0]
    grid = (2.0 * p - 1.0)[None, None]  # [1, 1, P, 2]
    return F.grid_sample(maps[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0, :, 0, :]


def semantic_targets(target):
    labels = [int(c) for c in torch.unique(target) if int(c) != IGNORE]
    masks = torch.stack([(target == c).double() for c in labels])
    valid = (target != IGNORE).double()
    return labels, masks, valid


def weighted_ce_cost(logits, targets, w):
    # Mask2Former's batch_sigmoid_ce_loss with a weight per point: [Q, P], [M, P], [P] → [Q, M]
    pos = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none") * w
    neg = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits), reduction="none") * w
    return (pos @ targets.T + neg @ (1 - targets).T) / w.sum().clamp(min=1e-12)


def weighted_dice_cost(logits, targets, w):
    s = logits.sigmoid() * w
    num = 2 * s @ targets.T
    den = s.sum(-1)[:, None] + (targets * w).sum(-1)[None, :]
    return 1 - (num + 1) / (den + 1)


def match(cls, masks, labels, tmasks, valid, points):
    prob = cls.softmax(-1)
    cost_class = -prob[:, labels]
    pred = point_sample(masks, points, EXTENT)
    tgt = point_sample(tmasks, points)
    w = point_sample(valid[None], points)[0]
    cost_mask = weighted_ce_cost(pred, tgt, w)
    cost_dice = weighted_dice_cost(pred, tgt, w)
    c = W_MASK * cost_mask + W_CLASS * cost_class + W_DICE * cost_dice
    rows, cols = linear_sum_assignment(c.detach().numpy())
    return c, cost_class, cost_mask, cost_dice, rows.tolist(), cols.tolist()


def main():
    cls_all = CLASS_LOGITS.clone().requires_grad_(True)
    masks_all = MASK_LOGITS.clone().requires_grad_(True)
    targets = [semantic_targets(TARGET[b]) for b in range(2)]
    num_masks = max(sum(len(t[0]) for t in targets), 1)
    layers = []
    total = 0
    for layer in range(LAYERS):
        matches, costs = [], []
        target_classes = torch.full((2, Q), K, dtype=torch.long)
        mask_terms, dice_terms = [], []
        for b in range(2):
            labels, tmasks, valid = targets[b]
            with torch.no_grad():
                c, cc, cm, cd, rows, cols = match(cls_all[layer, b], masks_all[layer, b], labels, tmasks, valid, MATCH_POINTS[b])
            assignment = [-1] * Q
            for r, col in zip(rows, cols):
                assignment[r] = col
                target_classes[b, r] = labels[col]
                pts = LOSS_POINTS[b][col]
                pl = point_sample(masks_all[layer, b, r][None], pts, EXTENT)[0]
                tl = point_sample(tmasks[col][None], pts)[0]
                w = point_sample(valid[None], pts)[0]
                bce = (F.binary_cross_entropy_with_logits(pl, tl, reduction="none") * w).sum() / w.sum().clamp(min=1e-12)
                s = pl.sigmoid() * w
                dice = 1 - (2 * (s * tl).sum() + 1) / (s.sum() + (tl * w).sum() + 1)
                mask_terms.append(bce)
                dice_terms.append(dice)
            matches.append(assignment)
            costs.append({"total": c.flatten().tolist(), "class": cc.flatten().tolist(), "mask": cm.flatten().tolist(), "dice": cd.flatten().tolist()})
        empty_weight = torch.ones(K + 1)
        empty_weight[-1] = EOS
        loss_ce = F.cross_entropy(cls_all[layer].transpose(1, 2), target_classes, empty_weight)
        loss_mask = torch.stack(mask_terms).sum() / num_masks
        loss_dice = torch.stack(dice_terms).sum() / num_masks
        total = total + W_CLASS * loss_ce + W_MASK * loss_mask + W_DICE * loss_dice
        layers.append({"matches": matches, "costs": costs, "class": loss_ce.item(), "mask": loss_mask.item(), "dice": loss_dice.item()})
    total.backward()
    out = {
        "num_classes": K, "ignore_index": IGNORE, "weights": {"class": W_CLASS, "mask": W_MASK, "dice": W_DICE, "no_object": EOS},
        "extent": list(EXTENT),
        "class_logits_shape": list(CLASS_LOGITS.shape), "class_logits": CLASS_LOGITS.flatten().tolist(),
        "mask_logits_shape": list(MASK_LOGITS.shape), "mask_logits": MASK_LOGITS.flatten().tolist(),
        "target_shape": list(TARGET.shape), "target": TARGET.flatten().tolist(),
        "target_labels": [t[0] for t in targets],
        "match_points": MATCH_POINTS.flatten().tolist(),
        "loss_points": [p.flatten().tolist() for p in LOSS_POINTS],
        "points_per_mask": P_LOSS, "points_for_matching": P_MATCH,
        "layers": layers,
        "total": total.item(),
        "grad_class_logits": cls_all.grad.flatten().tolist(),
        "grad_mask_logits": masks_all.grad.flatten().tolist(),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
