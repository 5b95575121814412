#!/usr/bin/env python3
"""Writes a synthetic embeddings set for benchmarking 'sharpseg curate' at scale (numpy only).

    python3 scripts/curation/random_embeddings.py --n 100000 --dim 512 --out /tmp/bench/rand.npy

Rows are unit vectors in clusters (like frames of many videos): --clusters centres, each row a centre plus Gaussian
noise, and --dup-share of the rows are near-copies of another row (cosine ~0.99), so dedupe has work to do.
Writes OUT (.npy float32 [n, dim]), OUT.paths.txt (fake image names) and OUT.json (the SharpSeg header).
"""
import argparse, json, os
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=100000)
p.add_argument("--dim", type=int, default=512)
p.add_argument("--clusters", type=int, default=2000)
p.add_argument("--noise", type=float, default=0.05)
p.add_argument("--dup-share", type=float, default=0.05)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--out", required=True)
a = p.parse_args()
assert a.out.endswith(".npy")
rng = np.random.default_rng(a.seed)
centres = rng.standard_normal((a.clusters, a.dim), dtype=np.float32)
centres /= np.linalg.norm(centres, axis=1, keepdims=True)
x = np.empty((a.n, a.dim), dtype=np.float32)
for s in range(0, a.n, 10000):
    e = min(a.n, s + 10000)
    x[s:e] = centres[rng.integers(0, a.clusters, e - s)] + a.noise * rng.standard_normal((e - s, a.dim), dtype=np.float32)
dups = rng.choice(a.n, int(a.n * a.dup_share), replace=False)
x[dups] = x[rng.integers(0, a.n, len(dups))] + 0.002 * rng.standard_normal((len(dups), a.dim), dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
np.save(a.out, x)
stem = a.out[:-4]
with open(stem + ".paths.txt", "w") as f:
    f.writelines(f"img_{i:07d}.png\n" for i in range(a.n))
with open(stem + ".json", "w") as f:
    json.dump({"format": "sharpseg-embeddings", "version": 1, "embedder": "random-benchmark", "dim": a.dim, "grid": 0,
               "image_root": os.path.dirname(os.path.abspath(a.out)), "rows": a.n, "data_file": os.path.basename(a.out),
               "paths_file": os.path.basename(stem + ".paths.txt")}, f, indent=2)
print(f"{a.out}: {a.n} x {a.dim} float32 ({x.nbytes / 1e6:.0f} MB), {a.clusters} clusters, {len(dups)} near-copies")
