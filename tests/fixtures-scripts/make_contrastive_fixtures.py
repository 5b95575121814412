#!/usr/bin/python3
"""Reference values for SharpSeg's contrastive losses (SelfSupervised/NtXentLoss, PixelContrastLoss), written once with
PyTorch and committed as a fixture.

Command (from the repository root; Debian's python3-torch, PyTorch 1.13, CPU):
    /usr/bin/python3 tests/fixtures-scripts/make_contrastive_fixtures.py > tests/SharpSeg.Tests/Fixtures/selfsupervised/contrastive.json

The references are written anchor by anchor from the papers' formulas, independently of the C# code's matrix form:
  NT-Xent (Chen et al. 2020, eq. 1): anchor k of the 2N projections, positive = the other view of its image,
    l(k) = -log( exp(s(k,pos)/t) / sum_{j != k} exp(s(k,j)/t) ), s = cosine similarity, mean over 2N anchors.
  Pixel contrast (PixContrast, Xie et al. 2021, eq. 1, with DenseCL-style negatives from the other images): anchor cell
    i of image n in view A, positives P(i) = cells of view B of image n marked positive, denominator = P(i) plus every
    cell of view B of the other images; mean over anchors with a positive, averaged over the two directions A->B, B->A.
Everything is float64; each case stores the loss and its gradient w.r.t. the first input.
"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(20261125)


def nt_xent(z1, z2, t):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    losses = []
    for k in range(2 * n):
        pos = (k + n) % (2 * n)
        sims = [torch.dot(z[k], z[j]) / t for j in range(2 * n) if j != k]
        denom = torch.logsumexp(torch.stack(sims), 0)
        losses.append(denom - torch.dot(z[k], z[pos]) / t)
    return torch.stack(losses).mean()


def pixel_direction(a, b, pos, t):
    # a: [N, D, Pa] normalised cells of the anchor view; b: [N, D, Pb]; pos: [N, Pa, Pb] bool
    n, _, pa = a.shape
    pb = b.shape[2]
    losses = []
    for img in range(n):
        for i in range(pa):
            if not pos[img, i].any():
                continue
            x = a[img, :, i]
            pos_terms = [torch.dot(x, b[img, :, j]) / t for j in range(pb) if pos[img, i, j]]
            neg_terms = [torch.dot(x, b[other, :, j]) / t for other in range(n) if other != img for j in range(pb)]
            losses.append(torch.logsumexp(torch.stack(pos_terms + neg_terms), 0) - torch.logsumexp(torch.stack(pos_terms), 0))
    return torch.stack(losses).mean() if losses else None


def pixel_contrast(d1, d2, pos, t):
    a = F.normalize(d1, dim=1).flatten(2)
    b = F.normalize(d2, dim=1).flatten(2)
    fwd = pixel_direction(a, b, pos, t)
    bwd = pixel_direction(b, a, pos.transpose(1, 2), t)
    return (fwd + bwd) / 2


def flat(t):
    return [round(float(v), 12) for v in t.reshape(-1)]


cases = []
z1 = (torch.randn(3, 4, generator=g)).round(decimals=3).requires_grad_()
z2 = (torch.randn(3, 4, generator=g)).round(decimals=3)
for t in (0.5, 0.1):
    z1.grad = None
    loss = nt_xent(z1, z2, t)
    loss.backward()
    cases.append({"name": f"ntxent_t{t}", "temperature": t, "z1_shape": list(z1.shape), "z1": flat(z1.detach()), "z2": flat(z2),
                  "loss": float(loss), "grad_z1": flat(z1.grad)})

d1 = torch.randn(2, 3, 2, 2, generator=g).round(decimals=3).requires_grad_()
d2 = torch.randn(2, 3, 2, 3, generator=g).round(decimals=3)
pos = torch.zeros(2, 4, 6, dtype=torch.bool)
pos[0, 0, 0] = pos[0, 0, 1] = pos[0, 1, 2] = pos[0, 3, 5] = True   # image 0: cell 2 has no positive
pos[1, 2, 3] = pos[1, 2, 4] = pos[1, 3, 4] = True                  # image 1: cells 0, 1 have none
loss = pixel_contrast(d1, d2, pos, 0.3)
loss.backward()
cases.append({"name": "pixel_contrast", "temperature": 0.3, "d1_shape": list(d1.shape), "d1": flat(d1.detach()), "d2_shape": list(d2.shape),
              "d2": flat(d2), "positives": [int(v) for v in pos.reshape(-1)], "loss": float(loss), "grad_d1": flat(d1.grad)})

print(json.dumps({"generator": "tests/fixtures-scripts/make_contrastive_fixtures.py", "torch": torch.__version__, "cases": cases}, indent=1))
