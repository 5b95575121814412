#!/usr/bin/env python3
"""Writes a 16-bit copy of ISBI 2012 slices 0-24 (train 0-19, val 20-24), as a detector with fewer bits on a dark
offset would store it: raw = OFFSET + SCALE * value in 16-bit gray PNGs; masks copied unchanged. Used for the
image_range benchmark in docs/BENCHMARKS.md. Pure Python (no numpy).

    python3 scripts/make-16bit-isbi.py SRC_TRAIN_FOLDER OUT_FOLDER [SCALE] [OFFSET]
    python3 scripts/make-16bit-isbi.py ../shared/datasets/isbi2012-membrane/train /tmp/isbi16 4 1000
"""
import os, shutil, struct, sys, zlib


def read_png_gray8(path):
    data = open(path, 'rb').read()
    pos, idat, w, h = 8, b'', None, None
    while pos < len(data):
        n = struct.unpack('>I', data[pos:pos + 4])[0]
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and ctype == 0, (path, depth, ctype)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, rows, prev, i = zlib.decompress(idat), [], bytearray(w), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + w])
        i += 1 + w
        for x in range(w):
            a, b, c = (line[x - 1] if x else 0), prev[x], (prev[x - 1] if x else 0)
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows


def write_png_gray16(path, w, h, rows):
    raw = b''.join(b'\x00' + b''.join(struct.pack('>H', v) for v in r) for r in rows)
    def chunk(kind, body): return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, 0, 0, 0, 0))
                           + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b''))


def main():
    src, dst = sys.argv[1], sys.argv[2]
    scale = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    offset = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    for split, ids in (('train', range(0, 20)), ('val', range(20, 25))):
        os.makedirs(f'{dst}/{split}/images', exist_ok=True)
        os.makedirs(f'{dst}/{split}/masks', exist_ok=True)
        for i in ids:
            w, h, rows = read_png_gray8(f'{src}/images/{i}.png')
            write_png_gray16(f'{dst}/{split}/images/{i}.png', w, h, [[offset + scale * v for v in r] for r in rows])
            shutil.copy(f'{src}/masks/{i}.png', f'{dst}/{split}/masks/{i}.png')


if __name__ == '__main__':
    main()
