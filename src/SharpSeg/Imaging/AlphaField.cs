using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpSeg.Imaging;

/// <summary>
/// A soft foreground mask (alpha in [0, 1] per pixel) of a full-size image, held as planes of a reduced size and
/// evaluated a row at a time where it is used (the blend of a portrait or video effect), so no full-size float plane is
/// ever made on the way:
/// <c>alpha(x) = clamp(A↑(x) · I(x) + B↑(x), 0, 1)</c>, with A and B bilinearly upsampled (↑) and I the full-size
/// image's luminance in [0, 1]. Unrefined, A is absent and B is the mask itself; <see cref="Refined"/> fits A and B with
/// the guided filter on the reduced image (<see cref="GuidedFilter"/>): the <i>fast</i> guided filter of He and Sun
/// (2015), whose edges still follow the full-size image.
/// </summary>
public sealed class AlphaField
{
    readonly float[]? _a;
    readonly float[] _b;
    readonly int _planeWidth;
    readonly (int[] I0, int[] I1, float[] F) _tapsX, _tapsY;

    /// <summary>The full size the field covers.</summary>
    public int Width { get; }
    public int Height { get; }

    AlphaField(float[]? a, float[] b, int planeWidth, int planeHeight, int width, int height)
    {
        if (b.Length != planeWidth * planeHeight || (a is not null && a.Length != b.Length))
            throw new ArgumentException($"the planes have {b.Length} values for {planeWidth}×{planeHeight}");
        _a = a; _b = b; _planeWidth = planeWidth;
        Width = width; Height = height;
        _tapsX = Planes.BilinearTaps(planeWidth, width);
        _tapsY = Planes.BilinearTaps(planeHeight, height);
    }

    /// <summary>The mask <paramref name="mask"/> (<paramref name="maskWidth"/>×<paramref name="maskHeight"/>, values
    /// clamped to [0, 1] where used) stretched bilinearly over <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static AlphaField FromMask(float[] mask, int maskWidth, int maskHeight, int width, int height) =>
        new(null, mask, maskWidth, maskHeight, width, height);

    /// <summary>
    /// The mask <paramref name="mask"/>, one value per pixel of <paramref name="reduced"/> (a reduced copy of a
    /// <paramref name="width"/>×<paramref name="height"/> image, or that image itself), refined by the guided filter with
    /// window radius <paramref name="radius"/> in full-size pixels. The coefficients are fitted on the reduced image's
    /// luminance, subsampled further (area means) to a radius of about 2 where the radius allows, as
    /// <see cref="GuidedFilter.Refine"/> describes.
    /// </summary>
    public static AlphaField Refined(RgbImage reduced, float[] mask, int width, int height, int radius, float eps = GuidedFilter.DefaultEps)
    {
        ArgumentNullException.ThrowIfNull(reduced);
        int w = reduced.Width, h = reduced.Height;
        if (mask.Length != w * h) throw new ArgumentException($"the mask has {mask.Length} values for an image of {w * h} pixels", nameof(mask));
        if (radius < 1) throw new SharpSegException($"--refine-radius {radius}: must be at least 1.");
        if (!(eps > 0)) throw new SharpSegException($"the guided filter's eps must be positive, got {eps}.");
        double r = radius * (double)w / width; // the radius in reduced pixels
        int s = Math.Max(1, Math.Min((int)(r / 2), Math.Min(w, h) / 8));
        var (gs, ws, hs) = Planes.DownsampleArea(Luminance(reduced), w, h, s);
        var (ps, _, _) = Planes.DownsampleArea(mask, w, h, s);
        var (a, b) = GuidedFilter.Coefficients(gs, ps, ws, hs, Math.Max(1, (int)Math.Round(r / s)), eps);
        return new AlphaField(a, b, ws, hs, width, height);
    }

    /// <summary>The image's luminance in [0, 1] per pixel (BT.601 weights; the value itself for one channel).</summary>
    public static float[] Luminance(RgbImage image)
    {
        int n = image.Width * image.Height;
        var px = image.Pixels;
        var l = new float[n];
        if (image.Channels == 1) for (int i = 0; i < n; i++) l[i] = px[i] / 255f;
        else for (int i = 0; i < n; i++) l[i] = Luma(px[3 * i], px[3 * i + 1], px[3 * i + 2]);
        return l;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Luma(byte r, byte g, byte b) => (0.299f * r + 0.587f * g + 0.114f * b) / 255f;

    /// <summary>The whole field at full size for <paramref name="image"/> (the full-size image whose luminance guides a
    /// refined field), one value in [0, 1] per pixel.</summary>
    public float[] Evaluate(RgbImage image)
    {
        CheckImage(image);
        var q = new float[Width * Height];
        var scratch = NewScratch();
        for (int y = 0; y < Height; y++) EvaluateRow(image, y, q.AsSpan(y * Width, Width), scratch);
        return q;
    }

    void CheckImage(RgbImage image)
    {
        if (image.Width != Width || image.Height != Height)
            throw new ArgumentException($"the image is {image.Width}×{image.Height}; this alpha field covers {Width}×{Height}");
    }

    /// <summary>Working rows for <see cref="EvaluateRow"/>: the A and B planes interpolated to one row.</summary>
    internal float[] NewScratch() => new float[2 * _planeWidth];

    /// <summary>Row <paramref name="y"/> of the field into <paramref name="alpha"/> (<see cref="Width"/> values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop
    internal void EvaluateRow(RgbImage image, int y, Span<float> alpha, float[] scratch)
    {
        var rowB = scratch.AsSpan(0, _planeWidth);
        Planes.LerpRows(_b, _planeWidth, 1, _tapsY, y, rowB);
        // Without bounds checks: the taps index the plane rows (clamped to their width), x < Width.
        if (alpha.Length != Width) throw new ArgumentException("one row of the field", nameof(alpha));
        ref int x0 = ref MemoryMarshal.GetArrayDataReference(_tapsX.I0), x1 = ref MemoryMarshal.GetArrayDataReference(_tapsX.I1);
        ref float fx = ref MemoryMarshal.GetArrayDataReference(_tapsX.F), b = ref MemoryMarshal.GetReference(rowB), q = ref MemoryMarshal.GetReference(alpha);
        if (_a is null)
        {
            for (int x = 0; x < Width; x++)
            {
                float b0 = Unsafe.Add(ref b, Unsafe.Add(ref x0, x));
                Unsafe.Add(ref q, x) = Math.Clamp(b0 + (Unsafe.Add(ref b, Unsafe.Add(ref x1, x)) - b0) * Unsafe.Add(ref fx, x), 0f, 1f);
            }
            return;
        }
        var rowA = scratch.AsSpan(_planeWidth, _planeWidth);
        Planes.LerpRows(_a, _planeWidth, 1, _tapsY, y, rowA);
        ref float a = ref MemoryMarshal.GetReference(rowA);
        int c = image.Channels;
        ref byte px = ref image.Pixels[y * Width * c];
        for (int x = 0; x < Width; x++)
        {
            int i0 = Unsafe.Add(ref x0, x), i1 = Unsafe.Add(ref x1, x);
            float f = Unsafe.Add(ref fx, x);
            float lum = c == 1 ? Unsafe.Add(ref px, x) / 255f : Luma(Unsafe.Add(ref px, 3 * x), Unsafe.Add(ref px, 3 * x + 1), Unsafe.Add(ref px, 3 * x + 2));
            float a0 = Unsafe.Add(ref a, i0), b0 = Unsafe.Add(ref b, i0);
            float av = a0 + (Unsafe.Add(ref a, i1) - a0) * f, bv = b0 + (Unsafe.Add(ref b, i1) - b0) * f;
            Unsafe.Add(ref q, x) = Math.Clamp(av * lum + bv, 0f, 1f);
        }
    }
}
