using SharpSeg.Imaging;
using SharpSeg.Video;
using Xunit;

namespace SharpSeg.Tests.Imaging;

/// <summary>The full-resolution pixel loops of portrait and video effects (vectorised where the CPU allows) against
/// plain per-pixel references, at sizes whose rows end in a partial vector.</summary>
public sealed class PixelKernelTests
{
    static float[] RandomPlane(Random rng, int n, float scale = 1) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * scale).ToArray();

    [Theory]
    [InlineData(1, 7, 5, 23, 17)]
    [InlineData(3, 14, 8, 40, 24)]
    [InlineData(3, 40, 24, 40, 24)]   // the output's size: read in place
    [InlineData(1, 5, 9, 13, 4)]      // down in height
    public void Stretched_rows_are_the_bilinear_resize_in_any_order(int channels, int w, int h, int outW, int outH)
    {
        var rng = new Random(channels * 100 + w);
        var plane = RandomPlane(rng, w * h * channels);
        // Per output pixel: the source position of its centre, clamped, and the four pixels around it.
        static (int I0, int I1, double F) Tap(int x, int src, int dst)
        {
            double t = Math.Clamp((x + 0.5) * src / dst - 0.5, 0, src - 1);
            return ((int)t, Math.Min((int)t + 1, src - 1), t - (int)t);
        }
        var expected = new float[outW * outH * channels];
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
            {
                var (y0, y1, fy) = Tap(y, h, outH);
                var (x0, x1, fx) = Tap(x, w, outW);
                for (int c = 0; c < channels; c++)
                {
                    double V(int yy, int xx) => plane[(yy * w + xx) * channels + c];
                    double top = V(y0, x0) + (V(y0, x1) - V(y0, x0)) * fx, bottom = V(y1, x0) + (V(y1, x1) - V(y1, x0)) * fx;
                    expected[(y * outW + x) * channels + c] = (float)(top + (bottom - top) * fy);
                }
            }
        var rows = new StretchedRows(plane, w, h, channels, outW, outH);
        var row = new float[outW * channels];
        // Top to bottom, then in a shuffled order (the kept rows must never be mixed up).
        var order = Enumerable.Range(0, outH).Concat(Enumerable.Range(0, outH).OrderBy(_ => rng.Next())).ToList();
        foreach (int y in order)
        {
            rows.Row(y, row);
            for (int i = 0; i < row.Length; i++) Assert.Equal(expected[y * outW * channels + i], (double)row[i], 1e-5);
        }
        Assert.Throws<ArgumentException>(() => rows.Row(0, new float[row.Length + 1]));
        if (channels == 1) // the whole-plane resize is these rows
            Assert.Equal(expected, Planes.ResizeBilinear(plane, w, h, outW, outH), (a, b) => Math.Abs(a - b) < 1e-5f);
    }

    [Theory]
    [InlineData(3, 47, 13, 3)]
    [InlineData(3, 64, 9, 2)]
    [InlineData(1, 50, 11, 4)]
    [InlineData(1, 19, 7, 5)]
    public void Area_downsampling_takes_the_rounded_mean_of_each_block(int channels, int w, int h, int factor)
    {
        var rng = new Random(w + h);
        var image = new RgbImage(w, h, channels);
        rng.NextBytes(image.Pixels);
        var small = Planes.DownsampleArea(image, factor);
        int ws = (w + factor - 1) / factor, hs = (h + factor - 1) / factor;
        Assert.Equal((ws, hs, channels), (small.Width, small.Height, small.Channels));
        for (int ys = 0; ys < hs; ys++)
            for (int xs = 0; xs < ws; xs++)
                for (int k = 0; k < channels; k++)
                {
                    int sum = 0, count = 0;
                    for (int y = ys * factor; y < Math.Min(h, (ys + 1) * factor); y++)
                        for (int x = xs * factor; x < Math.Min(w, (xs + 1) * factor); x++) { sum += image.Pixels[(y * w + x) * channels + k]; count++; }
                    Assert.Equal((sum + count / 2) / count, small.Pixels[(ys * ws + xs) * channels + k]);
                }
    }

    [Theory]
    [InlineData(23, 11, 1)]
    [InlineData(40, 30, 4)]
    [InlineData(6, 5, 4)]   // windows wider than the plane
    public void Guided_filter_coefficients_are_the_box_means_of_the_paper(int w, int h, int r)
    {
        var rng = new Random(w * r);
        var guide = RandomPlane(rng, w * h);
        var mask = RandomPlane(rng, w * h);
        const float eps = 1e-3f;
        double Mean(Func<int, double> f, int x, int y)
        {
            double sum = 0; int n = 0;
            for (int v = Math.Max(0, y - r); v <= Math.Min(h - 1, y + r); v++)
                for (int u = Math.Max(0, x - r); u <= Math.Min(w - 1, x + r); u++) { sum += f(v * w + u); n++; }
            return sum / n;
        }
        var a = new double[w * h]; var b = new double[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double mi = Mean(i => guide[i], x, y), mp = Mean(i => mask[i], x, y);
                double cov = Mean(i => guide[i] * mask[i], x, y) - mi * mp, variance = Mean(i => guide[i] * guide[i], x, y) - mi * mi;
                a[y * w + x] = cov / (variance + eps);
                b[y * w + x] = mp - a[y * w + x] * mi;
            }
        var (fa, fb) = GuidedFilter.Coefficients(guide, mask, w, h, r, eps);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                Assert.Equal(Mean(i => a[i], x, y), fa[y * w + x], 3);
                Assert.Equal(Mean(i => b[i], x, y), fb[y * w + x], 3);
            }
    }

    [Theory]
    [InlineData(3, 45, 6)]
    [InlineData(1, 45, 6)]
    [InlineData(3, 5, 3)]   // rows shorter than a vector
    public void A_linear_alpha_field_is_clamped_a_times_luminance_plus_b(int channels, int w, int h)
    {
        var rng = new Random(w + channels);
        var image = new RgbImage(w, h, channels);
        rng.NextBytes(image.Pixels);
        var a = RandomPlane(rng, w * h, 4).Select(v => v - 2).ToArray();
        var b = RandomPlane(rng, w * h, 2).Select(v => v - 0.5f).ToArray();
        var field = AlphaField.Linear(a, b, w, h, w, h).Evaluate(image);
        for (int i = 0; i < w * h; i++)
        {
            var p = image.Pixels;
            float lum = channels == 1 ? p[i] / 255f : (0.299f * p[3 * i] + 0.587f * p[3 * i + 1] + 0.114f * p[3 * i + 2]) / 255f;
            Assert.Equal(Math.Clamp(a[i] * lum + b[i], 0f, 1f), field[i], 6);
        }
    }

    [Theory]
    [InlineData(45, 7, 12, 3)]
    [InlineData(4, 3, 2, 2)]
    public void The_blend_is_alpha_times_frame_plus_the_rest_times_backdrop(int w, int h, int ws, int hs)
    {
        var rng = new Random(w * h);
        var frame = new RgbImage(w, h, 3); rng.NextBytes(frame.Pixels);
        var behind = new Backdrop(RandomPlane(rng, ws * hs * 3, 255), ws, hs);
        var alphaPlane = RandomPlane(rng, ws * hs);
        var field = AlphaField.FromMask(alphaPlane, ws, hs, w, h);
        var result = Compositing.Blend(frame, behind, field).Pixels;
        var alpha = Planes.ResizeBilinear(alphaPlane, ws, hs, w, h);
        for (int k = 0; k < 3; k++)
        {
            var bg = Planes.ResizeBilinear(Enumerable.Range(0, ws * hs).Select(i => behind.Values[3 * i + k]).ToArray(), ws, hs, w, h);
            for (int i = 0; i < w * h; i++)
            {
                double expected = bg[i] + alpha[i] * (frame.Pixels[3 * i + k] - bg[i]);
                Assert.True(Math.Abs(result[3 * i + k] - expected) <= 0.5 + 1e-3, $"pixel {i} channel {k}: {result[3 * i + k]} against {expected:F3}");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(45)]
    public void Tripling_repeats_each_value_for_the_three_channels(int n)
    {
        var values = Enumerable.Range(0, n).Select(i => i * 0.5f + 0.25f).ToArray();
        var tripled = new float[3 * n + 2];
        tripled[^1] = tripled[^2] = -7; // beyond 3n: untouched
        Compositing.Triple(values, tripled);
        for (int x = 0; x < n; x++)
            for (int k = 0; k < 3; k++) Assert.Equal(values[x], tripled[3 * x + k]);
        Assert.Equal(-7, tripled[^1]);
        Assert.Equal(-7, tripled[^2]);
    }
}
