#!/usr/bin/python3
"""Reference instance counts and areas on real CamVid val masks, written once with SciPy and committed as a fixture.

Command (from the repository root; Debian's python3-numpy, python3-scipy, python3-pil; the shared datasets beside the
repository):
    /usr/bin/python3 tests/fixtures-scripts/make_camvid_instance_counts.py > tests/SharpSeg.Tests/Fixtures/instances/camvid-val-counts.json

For the first 8 val masks (sorted by name; 8-bit class indices, 11 = void): per thing class Car (8), Pedestrian (9),
Bicyclist (10), the connected components by scipy.ndimage.label with the 8-neighbourhood, those under 20 pixels dropped:
their count, areas sorted, and the centroid of the largest (scipy.ndimage.center_of_mass).
"""
import glob
import json
import os
import sys

import numpy as np
from PIL import Image
from scipy import ndimage

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "datasets", "camvid", "val", "masks")
CLASSES = {"Car": 8, "Pedestrian": 9, "Bicyclist": 10}
MIN_AREA = 20


def main():
    files = sorted(glob.glob(os.path.join(ROOT, "*.png")))[:8]
    images = []
    for f in files:
        mask = np.array(Image.open(f))
        classes = {}
        for name, value in CLASSES.items():
            lab, n = ndimage.label(mask == value, structure=np.ones((3, 3), int))
            areas = np.bincount(lab.ravel())[1:]
            keep = [i + 1 for i, a in enumerate(areas) if a >= MIN_AREA]
            entry = {"count": len(keep), "areas": sorted(int(areas[k - 1]) for k in keep)}
            if keep:
                biggest = max(keep, key=lambda k: (areas[k - 1], -k))
                cy, cx = ndimage.center_of_mass(lab == biggest)
                entry["largest_centroid"] = [round(float(cx), 6), round(float(cy), 6)]
            classes[name] = entry
        images.append({"mask": os.path.basename(f), "classes": classes})
    json.dump({"min_area": MIN_AREA, "connectivity": 8, "images": images}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
