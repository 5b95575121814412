using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using Xunit;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.Data;

public sealed class AugmentationTests
{
    /// <summary>Distinct, far-apart colours per label so that an image pixel tells which label it was drawn from.</summary>
    static readonly byte[][] Palette =
    [
        [250, 10, 10], [10, 250, 10], [10, 10, 250], [250, 250, 10], [10, 250, 250], [250, 10, 250], [128, 128, 128], [20, 20, 20],
    ];

    /// <summary>A sample of blocks of labels (from <paramref name="labels"/>), the image coloured by the label's palette entry.</summary>
    static SegmentationSample Blocks(int w, int h, int block, byte[] labels, int seed = 1)
    {
        var rng = new Random(seed);
        int bx = (w + block - 1) / block, by = (h + block - 1) / block;
        var grid = new byte[bx * by];
        for (int i = 0; i < grid.Length; i++) grid[i] = labels[rng.Next(labels.Length)];
        var mask = new LabelMask(w, h); var img = new RgbImage(w, h, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                byte l = grid[(y / block) * bx + x / block];
                mask.Labels[y * w + x] = l;
                Palette[l].CopyTo(img.Pixels, (y * w + x) * 3);
            }
        return new SegmentationSample("blocks", img, mask);
    }

    static SegmentationSample Clone(SegmentationSample s) =>
        s with { Image = new RgbImage(s.Image.Width, s.Image.Height, s.Image.Channels, (byte[])s.Image.Pixels.Clone()), Mask = new LabelMask(s.Mask.Width, s.Mask.Height, (byte[])s.Mask.Labels.Clone()) };

    static AugmentationOptions Everything => new()
    {
        Scale = [0.5, 2.0], Crop = [48, 64], Hflip = 0.5, Vflip = 0.5, Rotate = 30, Brightness = 0.3, Contrast = 0.3,
        Saturation = 0.3, Hue = 0.1, Blur = 0.5, Noise = 0.05,
    };

    public static TheoryData<string> Operations => new() { "scale", "crop", "hflip", "vflip", "rotate", "jitter", "blur", "noise", "resize", "all" };

    static IAugmentation Op(string name) => name switch
    {
        "scale" => new RandomScale(0.3, 3.0),
        "crop" => new RandomCrop(50, 70),
        "hflip" => new HorizontalFlip(1.0),
        "vflip" => new VerticalFlip(1.0),
        "rotate" => new RandomRotation(45),
        "jitter" => new ColorJitter(0.4, 0.4, 0.4, 0.2),
        "blur" => new GaussianBlur(1.0, 0.5, 3),
        "noise" => new GaussianNoise(1.0, 0.1),
        "resize" => new Resize(17, 23),
        "all" => AugmentationPipeline.Build(Everything),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public void MaskValuesAfterAnyOpAreInputValuesOrIgnore(string op)
    {
        // Values 0, 3, 7 far apart: bilinear mixing of a mask would invent 1, 2, 4, 5 or 6.
        var sample = Blocks(61, 47, 5, [0, 3, 7]);
        var before = Clone(sample);
        var allowed = new HashSet<byte> { 0, 3, 7, LabelMask.Ignore };
        var aug = Op(op);
        for (int seed = 0; seed < 12; seed++)
        {
            var outp = aug.Apply(sample, new Random(seed));
            Assert.Equal(outp.Image.Width, outp.Mask.Width);
            Assert.Equal(outp.Image.Height, outp.Mask.Height);
            var extra = outp.Mask.Labels.Where(v => !allowed.Contains(v)).Distinct().ToArray();
            Assert.True(extra.Length == 0, $"{op} made mask values {string.Join(",", extra)}");
        }
        // The input (possibly a cached decode) is never modified.
        Assert.Equal(before.Image.Pixels, sample.Image.Pixels);
        Assert.Equal(before.Mask.Labels, sample.Mask.Labels);
    }

    [Fact]
    public void FlippingTwiceIsIdentityAndOnceIsAMirror()
    {
        var s = Blocks(13, 9, 2, [0, 1, 2, 5]);
        var h = HorizontalFlip.Flip(s);
        Assert.Equal(s.Mask.Labels[0 * 13 + 0], h.Mask.Labels[0 * 13 + 12]);
        Assert.Equal(s.Mask.Labels[4 * 13 + 3], h.Mask.Labels[4 * 13 + 9]);
        Assert.Equal(s.Image.Pixels.AsSpan((4 * 13 + 3) * 3, 3).ToArray(), h.Image.Pixels.AsSpan((4 * 13 + 9) * 3, 3).ToArray());
        Assert.NotEqual(s.Mask.Labels, h.Mask.Labels);
        var hh = HorizontalFlip.Flip(h);
        Assert.Equal(s.Image.Pixels, hh.Image.Pixels); Assert.Equal(s.Mask.Labels, hh.Mask.Labels);
        var v = VerticalFlip.Flip(s);
        Assert.Equal(s.Mask.Labels[2 * 13 + 5], v.Mask.Labels[6 * 13 + 5]);
        var vv = VerticalFlip.Flip(v);
        Assert.Equal(s.Image.Pixels, vv.Image.Pixels); Assert.Equal(s.Mask.Labels, vv.Mask.Labels);
        // Probability 0 never flips.
        Assert.Same(s, new HorizontalFlip(0).Apply(s, new Random(1)));
    }

    [Theory]
    [InlineData(40, 30, 16, 24)]
    [InlineData(10, 8, 16, 24)]
    [InlineData(20, 30, 16, 24)]
    [InlineData(16, 24, 16, 24)]
    public void CropHasTheExactSizeAndPadsWithIgnore(int w, int h, int cropH, int cropW)
    {
        var s = Blocks(w, h, 3, [0, 1, 2]);
        var crop = new RandomCrop(cropH, cropW, [7]);
        for (int seed = 0; seed < 10; seed++)
        {
            var o = crop.Apply(s, new Random(seed));
            Assert.Equal((cropW, cropH), (o.Image.Width, o.Image.Height));
            Assert.Equal((cropW, cropH), (o.Mask.Width, o.Mask.Height));
            int covered = Math.Min(w, cropW) * Math.Min(h, cropH);
            Assert.Equal(covered, o.Mask.Labels.Count(v => v != LabelMask.Ignore));
            for (int i = 0; i < o.Mask.Labels.Length; i++)
                if (o.Mask.Labels[i] == LabelMask.Ignore)
                    Assert.Equal(new byte[] { 7, 7, 7 }, o.Image.Pixels.AsSpan(i * 3, 3).ToArray());
        }
    }

    [Fact]
    public void CropCutsTheRequestedWindow()
    {
        var s = Blocks(10, 8, 1, [0, 1, 2, 3, 4, 5]);
        var o = new RandomCrop(3, 4).Cut(s, 2, 5);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal(s.Mask.Labels[(y + 5) * 10 + x + 2], o.Mask.Labels[y * 4 + x]);
        var padded = new RandomCrop(3, 4).Cut(s, -1, 6); // one column of padding on the left, one row below
        Assert.Equal(LabelMask.Ignore, padded.Mask.Labels[0]);
        Assert.Equal(s.Mask.Labels[6 * 10 + 0], padded.Mask.Labels[1]);
        Assert.Equal(LabelMask.Ignore, padded.Mask.Labels[2 * 4 + 1]);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    public void RotationBy90DegreesIsATransposeAndFlip(int n)
    {
        var s = Blocks(n, n, 1, [0, 1, 2, 3, 4, 5, 6]);
        var r = RandomRotation.Rotate(s, 90);
        // Counter-clockwise: out[y, x] = in[x, n-1-y] (numpy rot90), i.e. transpose then flip rows.
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                Assert.Equal(s.Mask.Labels[x * n + (n - 1 - y)], r.Mask.Labels[y * n + x]);
                Assert.Equal(s.Image.Pixels[(x * n + (n - 1 - y)) * 3], r.Image.Pixels[(y * n + x) * 3]);
            }
        // The same draw through the random op with a fixed range.
        var viaOp = new RandomRotation(90, 90).Apply(s, new Random(3));
        Assert.Equal(r.Mask.Labels, viaOp.Mask.Labels);
        // Four quarter turns: back where we started.
        var back = RandomRotation.Rotate(RandomRotation.Rotate(RandomRotation.Rotate(r, 90), 90), 90);
        Assert.Equal(s.Mask.Labels, back.Mask.Labels);
    }

    [Fact]
    public void RotationFillsUncoveredCornersWithIgnoreAndBlack()
    {
        var s = Blocks(40, 40, 4, [1, 2]);
        var r = RandomRotation.Rotate(s, 45);
        Assert.Equal(LabelMask.Ignore, r.Mask.Labels[0]);
        Assert.Equal(new byte[] { 0, 0, 0 }, r.Image.Pixels.AsSpan(0, 3).ToArray());
        Assert.NotEqual(LabelMask.Ignore, r.Mask.Labels[20 * 40 + 20]);
    }

    [Fact]
    public void SameSeedSameResultOtherSeedOtherResult()
    {
        var s = Blocks(64, 48, 6, [0, 1, 2, 3]);
        var p = AugmentationPipeline.Build(Everything);
        var a = p.Apply(s, new Random(42)); var b = p.Apply(s, new Random(42)); var c = p.Apply(s, new Random(43));
        Assert.Equal(a.Image.Pixels, b.Image.Pixels); Assert.Equal(a.Mask.Labels, b.Mask.Labels);
        Assert.NotEqual(a.Image.Pixels, c.Image.Pixels);
    }

    [Fact]
    public void ImageAndMaskStayAlignedThroughScaleCropFlipRotate()
    {
        var s = Blocks(96, 80, 12, [0, 1, 2, 3, 4, 5, 6, 7]);
        var p = AugmentationPipeline.Build(new AugmentationOptions { Scale = [0.5, 2.0], Crop = [64, 72], Hflip = 0.5, Vflip = 0.5, Rotate = 30 });
        long checkedPixels = 0, total = 0;
        for (int seed = 0; seed < 24; seed++)
        {
            var o = p.Apply(s, new Random(seed));
            int w = o.Mask.Width, h = o.Mask.Height;
            total += w * h;
            for (int y = 2; y < h - 2; y++)
                for (int x = 2; x < w - 2; x++)
                {
                    byte l = o.Mask.Labels[y * w + x];
                    if (l == LabelMask.Ignore) continue;
                    bool uniform = true;
                    for (int dy = -2; dy <= 2 && uniform; dy++)
                        for (int dx = -2; dx <= 2; dx++)
                            if (o.Mask.Labels[(y + dy) * w + x + dx] != l) { uniform = false; break; }
                    if (!uniform) continue;
                    checkedPixels++;
                    for (int k = 0; k < 3; k++)
                    {
                        int got = o.Image.Pixels[(y * w + x) * 3 + k];
                        Assert.True(Math.Abs(got - Palette[l][k]) <= 3, $"seed {seed} ({x},{y}) label {l}: channel {k} is {got}, expected {Palette[l][k]}");
                    }
                }
        }
        Assert.True(checkedPixels > total / 3, $"only {checkedPixels} of {total} pixels were away from label edges");
    }

    [Fact]
    public void FusedScaleAndCropEqualsScaleThenCrop()
    {
        // The pipeline resamples only the crop window; it must give exactly what the two steps give one after the other.
        var s = Blocks(57, 41, 3, [0, 1, 2, 3, 4]);
        var rngBytes = new Random(9); rngBytes.NextBytes(s.Image.Pixels); // texture, so that interpolation differences show
        var scale = new RandomScale(0.3, 3.0);
        var crop = new RandomCrop(48, 64, [9, 8, 7]);
        var fused = new AugmentationPipeline([scale, crop]);
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            var expected = crop.Apply(scale.Apply(s, rng), rng); // one generator, as the steps share it in a pipeline
            var got = fused.Apply(s, new Random(seed));
            Assert.Equal(expected.Image.Pixels, got.Image.Pixels);
            Assert.Equal(expected.Mask.Labels, got.Mask.Labels);
        }    }

    [Fact]
    public void ScaleResizesBothToTheSameRoundedSize()
    {
        var s = Blocks(50, 30, 5, [0, 1]);
        var o = new RandomScale(2, 2).Apply(s, new Random(0));
        Assert.Equal((100, 60), (o.Image.Width, o.Image.Height));
        Assert.Equal((100, 60), (o.Mask.Width, o.Mask.Height));
        // Nearest upscaling by 2 repeats each label twice in each direction.
        for (int y = 0; y < 60; y++)
            for (int x = 0; x < 100; x++)
                Assert.Equal(s.Mask.Labels[(y / 2) * 50 + x / 2], o.Mask.Labels[y * 100 + x]);
    }

    [Fact]
    public void ColourOpsChangeTheImageOnly()
    {
        var s = Blocks(20, 20, 4, [0, 1, 2, 3]);
        foreach (var op in new IAugmentation[] { new ColorJitter(0.5, 0.5, 0.5, 0.3), new GaussianBlur(1, 2, 2), new GaussianNoise(1, 0.1) })
        {
            var o = op.Apply(s, new Random(5));
            Assert.Same(s.Mask, o.Mask);
            Assert.NotEqual(s.Image.Pixels, o.Image.Pixels);
        }
    }

    /// <summary>
    /// ColorJitter computes brightness and contrast as a table over the 256 byte values instead of on a float copy of
    /// the image. Its output must stay the bytes the per-pixel form gave (kept below as written before), so that a
    /// recipe's augmented batches, and so its training run, are unchanged: random images (RGB, grey, one colour, every
    /// byte value), random factors, each term alone and all together.
    /// </summary>
    [Fact]
    public void ColorJitterGivesTheBytesOfThePerPixelForm()
    {
        var rng = new Random(11);
        var cases = new List<(RgbImage Image, ColorJitter Op)>();
        foreach (var (b, c, s, h) in new[] { (0.4, 0.0, 0.0, 0.0), (0.0, 0.4, 0.0, 0.0), (0.0, 0.0, 0.4, 0.0), (0.0, 0.0, 0.0, 0.2), (0.3, 0.3, 0.3, 0.0), (0.5, 0.5, 0.5, 0.5), (0.9, 0.9, 0.9, 0.1) })
            foreach (int channels in new[] { 3, 1 })
                for (int k = 0; k < 4; k++)
                {
                    int w = rng.Next(1, 40), hgt = rng.Next(1, 30);
                    var img = new RgbImage(w, hgt, channels);
                    if (k == 0) img.Pixels.AsSpan().Fill((byte)rng.Next(256));
                    else if (k == 1) for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i % 256);
                    else rng.NextBytes(img.Pixels);
                    cases.Add((img, new ColorJitter(b, c, s, h)));
                }
        int seed = 0;
        foreach (var (image, op) in cases)
        {
            var sample = new SegmentationSample("j", image, new LabelMask(image.Width, image.Height));
            for (int draw = 0; draw < 5; draw++, seed++)
            {
                var expected = PerPixelJitter(op, image, new Random(seed));
                Assert.Equal(expected, op.Apply(sample, new Random(seed)).Image.Pixels);
            }
        }
    }

    /// <summary>ColorJitter.Apply as it was before the tables (2026-12-08), the reference for the test above (its hue turn is
    /// ColorJitter.ShiftHue, which the tables left as it was).</summary>
    static byte[] PerPixelJitter(ColorJitter op, RgbImage src, Random rng)
    {
        double b = op.Brightness > 0 ? rng.Uniform(1 - op.Brightness, 1 + op.Brightness) : 1;
        double ct = op.Contrast > 0 ? rng.Uniform(1 - op.Contrast, 1 + op.Contrast) : 1;
        double sat = op.Saturation > 0 ? rng.Uniform(1 - op.Saturation, 1 + op.Saturation) : 1;
        double hue = op.Hue > 0 ? rng.Uniform(-op.Hue, op.Hue) : 0;
        int c = src.Channels, n = src.Width * src.Height;
        var f = new float[n * c];
        var s = src.Pixels;
        for (int i = 0; i < f.Length; i++) f[i] = (float)Math.Min(255.0, s[i] * b);
        if (ct != 1)
        {
            double mean = 0;
            if (c == 3) for (int i = 0; i < n; i++) mean += 0.299 * f[3 * i] + 0.587 * f[3 * i + 1] + 0.114 * f[3 * i + 2];
            else for (int i = 0; i < n; i++) mean += f[i];
            mean /= n;
            for (int i = 0; i < f.Length; i++) f[i] = (float)Math.Clamp(mean + (f[i] - mean) * ct, 0, 255);
        }
        if (c == 3 && sat != 1)
            for (int i = 0; i < n; i++)
            {
                double g = 0.299 * f[3 * i] + 0.587 * f[3 * i + 1] + 0.114 * f[3 * i + 2];
                for (int k = 0; k < 3; k++) f[3 * i + k] = (float)Math.Clamp(g + (f[3 * i + k] - g) * sat, 0, 255);
            }
        // The hue turn itself did not change with the tables; the reference shares it.
        if (c == 3 && hue != 0)
            for (int i = 0; i < n; i++) ColorJitter.ShiftHue(f.AsSpan(3 * i, 3), hue);
        var outp = new byte[f.Length];
        for (int i = 0; i < f.Length; i++) outp[i] = RandomDraws.ClampByte(f[i]);
        return outp;
    }

    [Fact]
    public void PipelineBuildFollowsTheOptions()
    {
        var defaults = AugmentationPipeline.Build(new AugmentationOptions());
        Assert.Collection(defaults.Steps, a => Assert.IsType<RandomScale>(a), a => Assert.IsType<HorizontalFlip>(a));
        var all = AugmentationPipeline.Build(Everything);
        Assert.Equal([typeof(RandomScale), typeof(RandomCrop), typeof(HorizontalFlip), typeof(VerticalFlip), typeof(RandomRotation), typeof(ColorJitter), typeof(GaussianBlur), typeof(GaussianNoise)],
            all.Steps.Select(x => x.GetType()).ToArray());
        Assert.Empty(AugmentationPipeline.Build(AugmentationOptions.None).Steps);
        Assert.Empty(AugmentationPipeline.BuildEvaluation(Everything).Steps);
        Assert.IsType<Resize>(Assert.Single(AugmentationPipeline.BuildEvaluation(Everything with { EvalResize = [32, 32] }).Steps));
        var meanPad = AugmentationPipeline.Build(new AugmentationOptions { Crop = [8, 8], Pad = "mean" }, Normalization.ImageNet);
        Assert.Equal(new byte[] { 124, 116, 104 }, ((RandomCrop)meanPad.Steps[1]).ImagePad);

        Assert.Throws<SharpSegException>(() => AugmentationPipeline.Build(new AugmentationOptions { Crop = [0, 8] }));
        Assert.Throws<SharpSegException>(() => AugmentationPipeline.Build(new AugmentationOptions { Crop = [8] }));
        Assert.Throws<SharpSegException>(() => AugmentationPipeline.Build(new AugmentationOptions { Scale = [2.0, 0.5] }));
        Assert.Throws<SharpSegException>(() => AugmentationPipeline.Build(new AugmentationOptions { Hflip = 1.5 }));
        Assert.Throws<SharpSegException>(() => AugmentationPipeline.Build(new AugmentationOptions { Hue = 0.7 }));
        Assert.Throws<SharpSegException>(() => AugmentationPipeline.Build(new AugmentationOptions { Crop = [8, 8], Pad = "mean" }));
    }

    [Fact]
    public void NormalizationFromDataAndLookupTable()
    {
        var a = new RgbImage(2, 1, 3, [0, 51, 255, 0, 153, 255]);
        var b = new RgbImage(1, 2, 3, [255, 102, 255, 255, 102, 255]);
        var n = Normalization.FromData([a, b]);
        Assert.Equal(0.5f, n.Mean[0], 4); Assert.Equal(0.4f, n.Mean[1], 4); Assert.Equal(1f, n.Mean[2], 4);
        Assert.Equal(0.5f, n.Std[0], 4); Assert.Equal((float)Math.Sqrt(0.02), n.Std[1], 4);
        Assert.Equal(1e-3f, n.Std[2], 6); // constant channel: floor, not zero
        var lut = Normalization.ImageNet.LookupTable(3);
        Assert.Equal((1f - 0.485f) / 0.229f, lut[0 * 256 + 255], 5);
        Assert.Equal((0f - 0.406f) / 0.225f, lut[2 * 256 + 0], 5);
        Assert.Equal(128 / 255f, Normalization.UnitRange.LookupTable(1)[128], 6);
        Assert.Throws<SharpSegException>(() => Normalization.ImageNet.LookupTable(1));
    }

    [Fact]
    public void NormalizationFromSamplesSpreadsItsPicks()
    {
        // Sample i is a constant grey image of value i; picking 3 of 11 evenly takes 0, 5 and 10.
        var pairs = Enumerable.Range(0, 11).Select(i => new SamplePair(i.ToString(), $"{i}.png", null)).ToList();
        var decoded = new List<string>();
        SegmentationSample Decode(SamplePair p)
        {
            decoded.Add(p.Id);
            var img = new RgbImage(2, 2, 1); Array.Fill(img.Pixels, byte.Parse(p.Id));
            return new SegmentationSample(p.Id, img, new LabelMask(2, 2));
        }
        var n = Normalization.FromSamples(pairs, Decode, maxImages: 3);
        Assert.Equal(["0", "5", "10"], decoded);
        Assert.Equal(5 / 255f, n.Mean[0], 6);
        Assert.Throws<SharpSegException>(() => Normalization.FromSamples([], Decode));
    }
}
