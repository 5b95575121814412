using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    readonly int _planeWidth, _planeHeight;

    /// <summary>The full size the field covers.</summary>
    public int Width { get; }
    public int Height { get; }

    AlphaField(float[]? a, float[] b, int planeWidth, int planeHeight, int width, int height)
    {
        if (b.Length != planeWidth * planeHeight || (a is not null && a.Length != b.Length))
            throw new ArgumentException($"the planes have {b.Length} values for {planeWidth}×{planeHeight}");
        _a = a; _b = b; _planeWidth = planeWidth; _planeHeight = planeHeight;
        Width = width; Height = height;
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
        return Linear(a, b, ws, hs, width, height);
    }

    /// <summary>The field <c>clamp(A↑ · I + B↑, 0, 1)</c> of coefficient planes <paramref name="a"/> and
    /// <paramref name="b"/> (<paramref name="planeWidth"/>×<paramref name="planeHeight"/>) over a
    /// <paramref name="width"/>×<paramref name="height"/> image.</summary>
    internal static AlphaField Linear(float[] a, float[] b, int planeWidth, int planeHeight, int width, int height) =>
        new(a, b, planeWidth, planeHeight, width, height);

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

    /// <summary>The working state of <see cref="EvaluateRow"/> for one thread: the A and B planes stretched a row at a
    /// time (<see cref="StretchedRows"/>), and their rows at full width.</summary>
    internal sealed class Scratch(AlphaField field)
    {
        internal readonly StretchedRows B = new(field._b, field._planeWidth, field._planeHeight, 1, field.Width, field.Height);
        internal readonly StretchedRows? A = field._a is null ? null : new(field._a, field._planeWidth, field._planeHeight, 1, field.Width, field.Height);
        internal readonly float[] RowB = new float[field.Width], RowA = new float[field._a is null ? 0 : field.Width];
    }

    internal Scratch NewScratch() => new(this);

    /// <summary>Row <paramref name="y"/> of the field into <paramref name="alpha"/> (<see cref="Width"/> values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop
    internal void EvaluateRow(RgbImage image, int y, Span<float> alpha, Scratch scratch)
    {
        if (alpha.Length != Width) throw new ArgumentException("one row of the field", nameof(alpha));
        scratch.B.Row(y, scratch.RowB);
        if (scratch.A is null)
        {
            Clamp01(scratch.RowB, alpha);
            return;
        }
        scratch.A.Row(y, scratch.RowA);
        // Without bounds checks: the rows hold Width values, the image row Width × channels bytes.
        ref float a = ref MemoryMarshal.GetArrayDataReference(scratch.RowA), b = ref MemoryMarshal.GetArrayDataReference(scratch.RowB);
        ref float q = ref MemoryMarshal.GetReference(alpha);
        int c = image.Channels;
        ref byte px = ref image.Pixels[y * Width * c];
        if (c == 1)
            for (int x = 0; x < Width; x++)
                Unsafe.Add(ref q, x) = Math.Clamp(Unsafe.Add(ref a, x) * (Unsafe.Add(ref px, x) / 255f) + Unsafe.Add(ref b, x), 0f, 1f);
        else
        {
            int x = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                // Four pixels at a time: their 12 bytes (of 16 loaded; the row's last 6 pixels are left to the scalar loop
                // below, so the load stays inside the row) shuffled into R, G and B lanes. The same arithmetic as Luma.
                var ir = Vector128.Create((byte)0, 255, 255, 255, 3, 255, 255, 255, 6, 255, 255, 255, 9, 255, 255, 255);
                var ig = Vector128.Create((byte)1, 255, 255, 255, 4, 255, 255, 255, 7, 255, 255, 255, 10, 255, 255, 255);
                var ib = Vector128.Create((byte)2, 255, 255, 255, 5, 255, 255, 255, 8, 255, 255, 255, 11, 255, 255, 255);
                Vector128<float> wr = Vector128.Create(0.299f), wg = Vector128.Create(0.587f), wb = Vector128.Create(0.114f), scale = Vector128.Create(255f);
                for (; x + 6 <= Width; x += 4)
                {
                    var v = Vector128.LoadUnsafe(ref px, (nuint)(3 * x));
                    var lum = (wr * Vector128.ConvertToSingle(Vector128.Shuffle(v, ir).AsInt32()) + wg * Vector128.ConvertToSingle(Vector128.Shuffle(v, ig).AsInt32())
                        + wb * Vector128.ConvertToSingle(Vector128.Shuffle(v, ib).AsInt32())) / scale;
                    var value = Vector128.LoadUnsafe(ref a, (nuint)x) * lum + Vector128.LoadUnsafe(ref b, (nuint)x);
                    Vector128.Clamp(value, Vector128<float>.Zero, Vector128<float>.One).StoreUnsafe(ref q, (nuint)x);
                }
            }
            for (; x < Width; x++)
            {
                float lum = Luma(Unsafe.Add(ref px, 3 * x), Unsafe.Add(ref px, 3 * x + 1), Unsafe.Add(ref px, 3 * x + 2));
                Unsafe.Add(ref q, x) = Math.Clamp(Unsafe.Add(ref a, x) * lum + Unsafe.Add(ref b, x), 0f, 1f);
            }
        }
    }

    static void Clamp01(ReadOnlySpan<float> values, Span<float> into)
    {
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && into.Length >= System.Numerics.Vector<float>.Count)
        {
            var v = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(values[..into.Length]);
            var d = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(into);
            for (int k = 0; k < d.Length; k++) d[k] = System.Numerics.Vector.Clamp(v[k], System.Numerics.Vector<float>.Zero, System.Numerics.Vector<float>.One);
            i = d.Length * System.Numerics.Vector<float>.Count;
        }
        for (; i < into.Length; i++) into[i] = Math.Clamp(values[i], 0f, 1f);
    }
}
