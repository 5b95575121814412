#!/usr/bin/python3
"""Pixel agreement of simulated annotators' and fused ISBI 2012 train masks with the real ones (docs/ANNOTATION.md).
A measurement aid (numpy + PIL, Debian's python3); SharpSeg itself never needs Python.

    /usr/bin/python3 scripts/compare_isbi_annotators.py ../shared/datasets/isbi2012-membrane/train/masks runs/annot
"""
import sys

import numpy as np
from PIL import Image

real, runs = sys.argv[1], sys.argv[2]


def load(path, fused):
    a = np.array(Image.open(path))
    return a if fused else np.where(a == 255, 1, 0)  # ISBI: 0 = membrane, 255 = cell; fused masks hold class indices


sets = {'annotator1': (f'{runs}/annotator1', False), 'annotator2': (f'{runs}/annotator2', False),
        'annotator3': (f'{runs}/annotator3', False), 'majority': (f'{runs}/fused-majority/masks/train', True),
        'staple': (f'{runs}/fused-staple/masks/train', True)}
for name, (folder, fused) in sets.items():
    inter, union, same, total = [0, 0], [0, 0], 0, 0
    for i in range(20):
        t = load(f'{real}/{i}.png', False)
        m = load(f'{folder}/{i}.png', fused)
        for k in (0, 1):
            inter[k] += np.sum((t == k) & (m == k))
            union[k] += np.sum((t == k) | (m == k))
        same += np.sum(t == m)
        total += t.size
    print(f'{name:11s} membrane IoU {100 * inter[0] / union[0]:.2f} %  cell IoU {100 * inter[1] / union[1]:.2f} %  accuracy {100 * same / total:.2f} %')
