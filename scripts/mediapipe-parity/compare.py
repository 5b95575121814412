# Per-pixel comparison of SharpSeg's foreground probability with MediaPipe's confidence mask, for both models.
import glob, os, sys
from PIL import Image
import numpy as np
out = sys.argv[1]
print('| model | image | size | mean abs diff | p99 abs diff | max abs diff | mask agreement (p ≥ 0.5) | foreground IoU | foreground share |')
print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for m, model in ((0, 'general 256×256'), (1, 'landscape 144×256')):
    for ref_path in sorted(glob.glob(f'{out}/mediapipe{m}/mp_*.png')):
        name = os.path.basename(ref_path)[3:-4]
        ours = np.array(Image.open(f'{out}/ours{m}/{name}_prob/1_foreground.png')).astype(float)
        ref = np.array(Image.open(ref_path)).astype(float)
        d = np.abs(ours - ref) / 255
        a, b = ours >= 127.5, ref >= 127.5
        iou = (a & b).sum() / max(1, (a | b).sum())
        print(f'| {model} | {name} | {ours.shape[1]}×{ours.shape[0]} | {d.mean():.5f} | {np.percentile(d, 99):.4f} | {d.max():.3f} | {(a == b).mean() * 100:.3f} % | {iou * 100:.2f} % | {b.mean() * 100:.1f} % |')
