#!/usr/bin/python3
"""Reference instance labellings for SharpSeg's connected components, written once with SciPy and committed as a fixture.

Command (from the repository root; Debian's python3-numpy and python3-scipy):
    /usr/bin/python3 tests/fixtures-scripts/make_instance_fixtures.py > tests/SharpSeg.Tests/Fixtures/instances/components.json

Each case is a class-index mask (255 = ignore) and the expected instance id per pixel, computed independently of the C#
code with scipy.ndimage:
  - components: scipy.ndimage.label(mask == c, structure) for every labelled class c (structure = the 4- or
    8-neighbourhood), combined into one map and renumbered in raster order of each component's first pixel (the order
    SharpSeg numbers in);
  - min_area: components with fewer pixels dropped (id 0), the rest renumbered in the same order;
  - fill_holes: each region of id-0 pixels (labelled with the complementary structure) that does not touch the border
    goes to the first component, in id order, among those next to it whose scipy.ndimage.binary_fill_holes (with the
    complementary structure) covers it.
"""
import json
import sys

import numpy as np
from scipy import ndimage

IGNORE = 255


def canonical(ids):
    """Renumber nonzero ids 1..n in raster order of first occurrence."""
    flat = ids.ravel()
    values, first = np.unique(flat, return_index=True)
    order = [v for _, v in sorted(zip(first, values)) if v != 0]
    lut = {v: i + 1 for i, v in enumerate(order)}
    lut[0] = 0
    return np.vectorize(lut.get)(ids).astype(np.int64) if ids.size else ids


def reference(mask, connectivity, classes, min_area, fill_holes):
    structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    combined = np.zeros(mask.shape, np.int64)
    n = 0
    for c in classes:
        lab, k = ndimage.label(mask == c, structure=structure)
        combined[lab > 0] = lab[lab > 0] + n
        n += k
    ids = canonical(combined)
    if min_area > 1:
        areas = np.bincount(ids.ravel())
        small = areas < min_area
        small[0] = False
        ids[small[ids]] = 0
        ids = canonical(ids)
    filled_pixels = 0
    if fill_holes:
        bg = ndimage.generate_binary_structure(2, 1 if connectivity == 8 else 2)
        regions, count = ndimage.label(ids == 0, structure=bg)
        out = ids.copy()
        for r in range(1, count + 1):
            region = regions == r
            if region[0, :].any() or region[-1, :].any() or region[:, 0].any() or region[:, -1].any():
                continue
            around = ndimage.binary_dilation(region, structure=bg) & ~region
            for a in sorted(set(ids[around].tolist()) - {0}):
                if ndimage.binary_fill_holes(ids == a, structure=bg)[region].all():
                    out[region] = a
                    filled_pixels += int(region.sum())
                    break
        ids = out
    return ids, filled_pixels


def blobs(rng, h, w, classes, sigma):
    """Smooth random fields, arg-max over classes: blob-shaped regions with natural holes and rings."""
    field = np.stack([ndimage.gaussian_filter(rng.standard_normal((h, w)), sigma) for _ in range(classes)])
    return field.argmax(axis=0).astype(np.int64)


def main():
    rng = np.random.default_rng(20261204)
    cases = []

    def add(name, mask, connectivity, classes, min_area=0, fill_holes=False):
        ids, filled = reference(mask, connectivity, classes, min_area, fill_holes)
        if fill_holes and filled == 0:
            raise SystemExit(f"{name}: no hole was filled; pick another seed so the case tests something")
        cases.append({
            "name": name, "width": int(mask.shape[1]), "height": int(mask.shape[0]), "connectivity": connectivity,
            "classes": [int(c) for c in classes], "min_area": min_area, "fill_holes": fill_holes,
            "count": int(ids.max()), "filled_pixels": filled,
            "mask": mask.ravel().tolist(), "ids": ids.ravel().tolist(),
        })

    for conn in (4, 8):
        noise = rng.choice([0, 1, 2, 3, IGNORE], size=(23, 31), p=[0.3, 0.3, 0.2, 0.15, 0.05])
        add(f"noise-23x31-c{conn}", noise, conn, [0, 1, 2, 3])
        sparse = (rng.random((40, 37)) < 0.45).astype(np.int64)
        add(f"binary-40x37-c{conn}-class1", sparse, conn, [1])
        several = rng.choice([0, 1, 2], size=(48, 64), p=[0.4, 0.35, 0.25])
        add(f"noise-48x64-c{conn}-classes12-minarea3", several, conn, [1, 2], min_area=3)
        blob = blobs(rng, 64, 64, 3, 2.0)
        blob[rng.random(blob.shape) < 0.02] = IGNORE
        add(f"blobs-64x64-c{conn}-fill", blob, conn, [1, 2], fill_holes=True)
        blob2 = blobs(rng, 48, 56, 4, 1.5)
        add(f"blobs-48x56-c{conn}-all-minarea5-fill", blob2, conn, [0, 1, 2, 3], min_area=5, fill_holes=True)

    json.dump({"cases": cases}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
