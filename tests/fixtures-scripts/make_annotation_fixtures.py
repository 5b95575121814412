#!/usr/bin/python3
"""Reference values for SharpSeg's annotator fusion and agreement (src/SharpSeg/Annotation), written once with numpy and
committed as a fixture. SimpleITK (whose MultiLabelSTAPLEImageFilter is the usual reference) is not packaged by Debian
12 and PyPI is not reachable, so the STAPLE EM is written here pixel by pixel from the paper instead.

Command (from the repository root; Debian's python3-numpy):
    /usr/bin/python3 tests/fixtures-scripts/make_annotation_fixtures.py > tests/SharpSeg.Tests/Fixtures/annotation/agreement.json

Independent of the C# code's form (which groups pixels by their combination of labels):
  STAPLE (Warfield, Zou, Wells 2004, multi-label as in ITK's MultiLabelSTAPLEImageFilter): per pixel i and annotator j
    with label d_ij (255 = no label), E-step W_ik = pi_k prod_j theta_j[d_ij, k] / sum_k(...), M-step
    theta_j[l, k] = sum_{i: d_ij = l} W_ik / sum_{i: d_ij labelled} W_ik; pi = label frequencies over all labels given;
    theta starts at 0.99 on the diagonal, (1 - 0.99)/(K - 1) elsewhere; stop when max |change of theta| < 1e-7.
  Fleiss' kappa (Fleiss 1971), over pixels every annotator labelled; per class: that class against the rest.
  Krippendorff's alpha, nominal (Krippendorff 2011), through the coincidence matrix, pixels with >= 2 labels.
"""
import json

import numpy as np

rng = np.random.default_rng(20261204)
IGNORE = 255


def staple(d, K, trust=0.99, tol=1e-7, max_iter=1000):
    R, N = d.shape
    theta = np.full((R, K, K), (1 - trust) / (K - 1))
    for j in range(R):
        np.fill_diagonal(theta[j], trust)
    labelled = d != IGNORE
    prior = np.array([(d[labelled] == k).sum() for k in range(K)], dtype=float)
    prior /= prior.sum()
    any_label = labelled.any(axis=0)
    d, labelled = d[:, any_label], labelled[:, any_label]
    its = 0
    for its in range(1, max_iter + 1):
        W = np.tile(prior, (d.shape[1], 1))
        for j in range(R):
            m = labelled[j]
            W[m] *= theta[j][d[j, m]]  # rows of theta_j: the observed label
        W /= W.sum(axis=1, keepdims=True)
        new = theta.copy()
        for j in range(R):
            m = labelled[j]
            den = W[m].sum(axis=0)
            for l in range(K):
                num = W[m & (d[j] == l)].sum(axis=0)
                for k in range(K):
                    if den[k] > 0:
                        new[j, l, k] = num[k] / den[k]
        change = np.abs(new - theta).max()
        theta = new
        if change < tol:
            break
    W = np.tile(prior, (d.shape[1], 1))
    for j in range(R):
        m = labelled[j]
        W[m] *= theta[j][d[j, m]]
    W /= W.sum(axis=1, keepdims=True)
    fused = np.full(any_label.shape, IGNORE)
    conf = np.zeros(any_label.shape)
    fused[any_label] = W.argmax(axis=1)
    conf[any_label] = W.max(axis=1)
    return theta, prior, fused, conf, its


def fleiss(d, K, k=None):
    R = d.shape[0]
    full = (d != IGNORE).all(axis=0)
    x = d[:, full]
    cats = [np.sum(x == c, axis=0) for c in range(K)] if k is None else [np.sum(x == k, axis=0), np.sum(x != k, axis=0)]
    n = np.stack(cats, axis=1).astype(float)  # items x categories
    N = n.shape[0]
    P = ((n * n).sum(axis=1) - R) / (R * (R - 1))
    p = n.sum(axis=0) / (N * R)
    Pe = (p * p).sum()
    return (P.mean() - Pe) / (1 - Pe)


def kripp(d, K, k=None):
    labelled = d != IGNORE
    C = K if k is None else 2
    o = np.zeros((C, C))
    for i in range(d.shape[1]):
        vals = d[labelled[:, i], i]
        m = len(vals)
        if m < 2:
            continue
        if k is not None:
            vals = np.where(vals == k, 0, 1)
        for a in range(m):
            for b in range(m):
                if a != b:
                    o[vals[a], vals[b]] += 1 / (m - 1)
    nc = o.sum(axis=1)
    n = nc.sum()
    Do = o.sum() - np.trace(o)
    De = (n * n - (nc * nc).sum())
    return 1 - (n - 1) * Do / De


def raters(truth, K, flips, abstain=0.0):
    out = []
    for f in flips:
        d = truth.copy()
        flip = rng.random(truth.shape) < f
        d[flip] = (truth[flip] + rng.integers(1, K, size=flip.sum())) % K
        if abstain:
            d[rng.random(truth.shape) < abstain] = IGNORE
        out.append(d)
    return np.stack(out)


cases = []
for name, K, flips, abstain, n in [("three-raters-one-poor", 3, [0.05, 0.1, 0.45], 0.0, 600),
                                   ("four-raters-abstaining", 4, [0.02, 0.2, 0.3, 0.15], 0.1, 500),
                                   ("two-raters-binary", 2, [0.1, 0.3], 0.05, 400)]:
    truth = rng.integers(0, K, size=n)
    truth[: n // 3] = 0  # an unbalanced prior
    d = raters(truth, K, flips, abstain)
    theta, prior, fused, conf, its = staple(d, K)
    cases.append({
        "name": name, "classes": K, "labels": d.tolist(),
        "staple": {"confusion": theta.tolist(), "prior": prior.tolist(), "fused": fused.tolist(), "confidence": conf.tolist(), "iterations": its},
        "fleiss": fleiss(d, K), "fleiss_per_class": [fleiss(d, K, k) for k in range(K)],
        "krippendorff": kripp(d, K), "krippendorff_per_class": [kripp(d, K, k) for k in range(K)],
    })
print(json.dumps({"cases": cases}, indent=1))
