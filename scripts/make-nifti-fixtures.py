#!/usr/bin/python3
"""Writes the NIfTI fixtures of tests/SharpSeg.Tests/Data/NiftiImportTests.cs with a NIfTI-1 writer independent of
SharpSeg's reader (struct + numpy), and the slices they must give (expected.json): np.rot90 of vol[:, :, z], as
nibabel users view an axial slice, intensities through the window the test passes. Run once from the repository
root: /usr/bin/python3 scripts/make-nifti-fixtures.py"""
import gzip, json, os, struct
import numpy as np

OUT = 'tests/SharpSeg.Tests/Fixtures/nifti'

def write(path, vol_xyz, code, dtype, slope=0.0, inter=0.0, big=False, channels=None):
    e = '>' if big else '<'
    nx, ny, nz = vol_xyz.shape[:3]
    nc = vol_xyz.shape[3] if vol_xyz.ndim == 4 else 1
    h = bytearray(348)
    struct.pack_into(e + 'i', h, 0, 348)
    struct.pack_into(e + '8h', h, 40, 4 if nc > 1 else 3, nx, ny, nz, nc, 1, 1, 1)
    struct.pack_into(e + 'h', h, 70, code)
    struct.pack_into(e + 'h', h, 72, np.dtype(dtype).itemsize * 8)
    struct.pack_into(e + '8f', h, 76, 1, 0.8, 0.8, 2.5, 1, 1, 1, 1)
    struct.pack_into(e + 'f', h, 108, 352.0)
    struct.pack_into(e + 'f', h, 112, slope)
    struct.pack_into(e + 'f', h, 116, inter)
    h[344:348] = b'n+1\0'
    # NIfTI stores x fastest: Fortran order of [x, y, z(, c)].
    data = bytes(h) + b'\0' * 4 + np.asarray(vol_xyz, dtype=np.dtype(dtype).newbyteorder(e)).tobytes(order='F')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with (gzip.open(path, 'wb') if path.endswith('.gz') else open(path, 'wb')) as f:
        f.write(data)

def slices(vol_xyz, low, high):
    out = []
    for z in range(vol_xyz.shape[2]):
        s = np.rot90(vol_xyz[:, :, z].astype(np.float64))
        out.append(np.clip(np.round((s - low) * 255.0 / (high - low)), 0, 255).astype(int).tolist())
    return out

def label_slices(lab_xyz, renumber):
    return [np.vectorize(renumber.get)(np.rot90(lab_xyz[:, :, z])).astype(int).tolist() for z in range(lab_xyz.shape[2])]

rng = np.random.default_rng(7)
expected = {}
nx, ny, nz = 5, 4, 3

# The Decathlon's layout: uint8 images (kept as they are), uint8 labels 0/1/2, gzip, little-endian, dataset.json with
# "labels": {"0": "background", ...}. case_b's middle slice has no label (for --keep-empty).
for case in ['case_a', 'case_b']:
    img = rng.integers(0, 256, size=(nx, ny, nz)).astype(np.uint8)
    lab = rng.integers(0, 3, size=(nx, ny, nz)).astype(np.uint8)
    if case == 'case_b':
        lab[:, :, 1] = 0
    write(f'{OUT}/msd/imagesTr/{case}.nii.gz', img, 2, np.uint8)
    write(f'{OUT}/msd/labelsTr/{case}.nii.gz', lab, 2, np.uint8)
    expected[f'msd/{case}'] = {'images': slices(img, 0, 255), 'masks': label_slices(lab, {0: 0, 1: 1, 2: 2})}
json.dump({'name': 'fixture', 'labels': {'0': 'background', '1': 'liver', '2': 'tumour'}}, open(f'{OUT}/msd/dataset.json', 'w'))

# nnU-Net's layout: two channel files per case, big-endian int16 with scl_slope/scl_inter (CT-like values) and float32,
# float32 labels 0/2/5 (renumbered 0/1/2), uncompressed, nnU-Net v2's dataset.json ("labels": {"background": 0, ...}).
raw = rng.integers(-600, 800, size=(nx, ny, nz)).astype(np.int16)
write(f'{OUT}/nnunet/imagesTr/ct_001_0000.nii', raw, 4, np.int16, slope=0.5, inter=-10.0, big=True)
second = rng.normal(size=(nx, ny, nz)).astype(np.float32)
write(f'{OUT}/nnunet/imagesTr/ct_001_0001.nii', second, 16, np.float32)
lab = rng.choice([0, 2, 5], size=(nx, ny, nz)).astype(np.float32)
write(f'{OUT}/nnunet/labelsTr/ct_001.nii', lab, 16, np.float32)
hu = raw.astype(np.float64) * 0.5 - 10.0
expected['nnunet/ct_001'] = {'window': [-160, 240], 'images': slices(hu, -160, 240), 'masks': label_slices(lab, {0: 0, 2: 1, 5: 2})}
json.dump({'channel_names': {'0': 'CT', '1': 'other'}, 'labels': {'background': 0, 'kidney': 2, 'cyst': 5}, 'file_ending': '.nii'},
          open(f'{OUT}/nnunet/dataset.json', 'w'))

json.dump(expected, open(f'{OUT}/expected.json', 'w'))
print('wrote', OUT)
