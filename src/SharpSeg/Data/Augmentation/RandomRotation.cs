using System.Runtime.CompilerServices;
using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Augmentation;

/// <summary>
/// Rotates image and mask about the image centre by an angle drawn uniformly from [<see cref="MinDegrees"/>,
/// <see cref="MaxDegrees"/>] (positive = counter-clockwise as displayed), keeping the size. Image bilinear, mask nearest;
/// pixels that come from outside the source are 0 in the image and <see cref="LabelMask.Ignore"/> in the mask.
/// </summary>
public sealed class RandomRotation : IAugmentation
{
    /// <summary>Angle drawn from [-<paramref name="degrees"/>, +<paramref name="degrees"/>].</summary>
    public RandomRotation(double degrees) : this(-Math.Abs(degrees), Math.Abs(degrees)) { }

    public RandomRotation(double minDegrees, double maxDegrees)
    {
        if (!(maxDegrees >= minDegrees) || double.IsInfinity(minDegrees) || double.IsInfinity(maxDegrees))
            throw new SharpSegException($"rotate: [{minDegrees}, {maxDegrees}] is not a valid range of degrees.");
        MinDegrees = minDegrees; MaxDegrees = maxDegrees;
    }

    public double MinDegrees { get; }
    public double MaxDegrees { get; }

    public SegmentationSample Apply(SegmentationSample sample, Random rng)
    {
        Resampling.RequireSameSize(sample);
        if (MinDegrees == 0 && MaxDegrees == 0) return sample;
        return Rotate(sample, rng.Uniform(MinDegrees, MaxDegrees));
    }

    /// <summary>Rotates by exactly <paramref name="degrees"/> (counter-clockwise as displayed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    public static SegmentationSample Rotate(SegmentationSample s, double degrees)
    {
        var src = s.Image; int w = src.Width, h = src.Height, c = src.Channels;
        var img = new RgbImage(w, h, c); var mask = new LabelMask(w, h);
        var si = src.Pixels; var sm = s.Mask.Labels; var di = img.Pixels; var dm = mask.Labels;
        double rad = degrees * Math.PI / 180.0;
        double cos = Math.Cos(rad), sin = Math.Sin(rad);
        // Snap the exact quarter turns so that 90° is an exact permutation of pixels.
        if (Math.Abs(cos) < 1e-12) cos = 0;
        if (Math.Abs(sin) < 1e-12) sin = 0;
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        for (int y = 0; y < h; y++)
        {
            double dy = y - cy;
            for (int x = 0; x < w; x++)
            {
                double dx = x - cx;
                double sx = cx + cos * dx - sin * dy;
                double sy = cy + sin * dx + cos * dy;
                int o = y * w + x;
                int nx = (int)Math.Floor(sx + 0.5), ny = (int)Math.Floor(sy + 0.5);
                if (nx < 0 || ny < 0 || nx >= w || ny >= h)
                {
                    dm[o] = LabelMask.Ignore; // image stays 0
                    continue;
                }
                dm[o] = sm[ny * w + nx];
                double fx = Math.Clamp(sx, 0, w - 1), fy = Math.Clamp(sy, 0, h - 1);
                int x0 = (int)fx, y0 = (int)fy, x1 = Math.Min(x0 + 1, w - 1), y1 = Math.Min(y0 + 1, h - 1);
                double ax = fx - x0, ay = fy - y0;
                int p00 = (y0 * w + x0) * c, p01 = (y0 * w + x1) * c, p10 = (y1 * w + x0) * c, p11 = (y1 * w + x1) * c;
                for (int k = 0; k < c; k++)
                {
                    double top = si[p00 + k] + (si[p01 + k] - si[p00 + k]) * ax;
                    double bot = si[p10 + k] + (si[p11 + k] - si[p10 + k]) * ax;
                    di[o * c + k] = (byte)(top + (bot - top) * ay + 0.5);
                }
            }
        }
        return s with { Image = img, Mask = mask };
    }
}
