"""Parameter counts of the official SegFormer (NVlabs SegFormer: mmseg/models/backbones/mix_transformer.py mit_b0/mit_b1
+ SegFormerHead with embedding dim 256) and HRNetV2-W18-Small (HRNet-Semantic-Segmentation: lib/models/seg_hrnet.py with
experiments/cityscapes/seg_hrnet_w18_small_v{1,2}_512x1024.yaml), counted layer by layer from those definitions with no
framework, as an independent check of MixTransformerTests and HRNetTests.

Run:  python3 official_parameter_counts.py
Output (2026-11-25):
  mit_b0 encoder 3,319,392  segformer head(150) 433,302  total 3,752,694
  mit_b1 encoder 13,151,424  segformer head(150) 564,374  total 13,715,798
  hrnet_w18_small_v2 encoder 3,860,720 head(19) 78,859 total 3,939,579
  hrnet_w18_small_v1 (16/32/64/128, 1 bottleneck of 32) encoder 1,477,920 head(19) 62,899 total 1,540,819
The published figures: SegFormer-B0 3.8 M and B1 13.7 M (ADE20K, 150 classes); HRNetV2-W18-Small-v1 1.5 M and -v2 3.9 M
(Cityscapes, 19 classes).
"""


def conv(cin, cout, k, bias=True, groups=1): return cout * (cin // groups) * k * k + (cout if bias else 0)
def lin(i, o, bias=True): return i * o + (o if bias else 0)
def ln(c): return 2 * c
bn = ln
def mit(dims, depths, cin=3, heads=None, sr=(8,4,2,1)):
    n = 0; prev = cin
    for s, C in enumerate(dims):
        k = 7 if s == 0 else 3
        n += conv(prev, C, k) + ln(C)
        for _ in range(depths[s]):
            r = sr[s]
            n += ln(C) + lin(C, C) + lin(C, 2*C) + lin(C, C)
            if r > 1: n += conv(C, C, r) + ln(C)
            n += ln(C) + lin(C, 4*C) + conv(4*C, 4*C, 3, groups=4*C) + lin(4*C, C)
        n += ln(C); prev = C
    return n
def segformer_head(dims, E, K):
    return sum(lin(c, E) for c in dims) + conv(4*E, E, 1, bias=False) + bn(E) + conv(E, K, 1)
for name, dims in [("b0", [32,64,160,256]), ("b1", [64,128,320,512])]:
    e = mit(dims, [2,2,2,2]); h = segformer_head(dims, 256, 150)
    print(f"mit_{name} encoder {e:,}  segformer head(150) {h:,}  total {e+h:,}")
def basic(c): return 2 * (conv(c, c, 3, False) + bn(c))
def bottleneck(cin, p, down):
    n = conv(cin, p, 1, False) + bn(p) + conv(p, p, 3, False) + bn(p) + conv(p, 4*p, 1, False) + bn(4*p)
    if down: n += conv(cin, 4*p, 1, False) + bn(4*p)
    return n
def hrnet(stages, K, stem=64, l1blocks=2, l1planes=64):
    n = conv(3, stem, 3, False) + bn(stem) + conv(stem, stem, 3, False) + bn(stem)
    n += bottleneck(stem, l1planes, True) + sum(bottleneck(4*l1planes, l1planes, False) for _ in range(l1blocks-1))
    prev = [4*l1planes]
    for modules, blocks, ch in stages:
        for i, c in enumerate(ch):
            if i < len(prev):
                if c != prev[i]: n += conv(prev[i], c, 3, False) + bn(c)
            else:
                for j in range(i + 1 - len(prev)):
                    cin = prev[-1]; cout = c if j == i - len(prev) else cin
                    n += conv(cin, cout, 3, False) + bn(cout)
        for _ in range(modules):
            n += sum(blocks * basic(c) for c in ch)
            if len(ch) > 1:
                for i in range(len(ch)):
                    for j in range(len(ch)):
                        if j > i: n += conv(ch[j], ch[i], 1, False) + bn(ch[i])
                        elif j < i:
                            for k in range(i - j):
                                cout = ch[i] if k == i - j - 1 else ch[j]
                                n += conv(ch[j], cout, 3, False) + bn(cout)
        prev = ch
    W = sum(prev)
    head = conv(W, W, 1) + bn(W) + conv(W, K, 1)
    return n, head
e, h = hrnet([(1, 2, [18,36]), (3, 2, [18,36,72]), (2, 2, [18,36,72,144])], 19)
print(f"hrnet_w18_small_v2 encoder {e:,} head(19) {h:,} total {e+h:,}")
e, h = hrnet([(1, 2, [16,32]), (1, 2, [16,32,64]), (1, 2, [16,32,64,128])], 19, stem=64, l1blocks=1, l1planes=32)
print(f"hrnet_w18_small_v1 (16/32/64/128, 1 bottleneck of 32) encoder {e:,} head(19) {h:,} total {e+h:,}")
