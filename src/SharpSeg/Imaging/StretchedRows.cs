using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpSeg.Imaging;

/// <summary>
/// A plane of interleaved values (width × height × channels, row-major) stretched bilinearly to
/// <see cref="OutWidth"/>×<see cref="OutHeight"/> (the taps of <see cref="Planes.BilinearTaps"/>: pixel centres at +0.5,
/// edges clamped), made one output row at a time where a full-resolution loop needs it, so no full-size plane exists.
/// Each source row is stretched horizontally once and kept while the output rows between it and the next one use it;
/// an output row is then one vector interpolation between two kept rows. Rows may be asked for in any order, but in
/// order (top to bottom) is the cheap one. One instance per thread.
/// </summary>
public sealed class StretchedRows
{
    readonly float[] _src;
    readonly int _width, _channels;
    readonly (int[] I0, int[] I1, float[] F) _tapsX, _tapsY;
    readonly float[] _slotA, _slotB;
    int _rowA = -1, _rowB = -1;

    public StretchedRows(float[] source, int width, int height, int channels, int outWidth, int outHeight)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (width < 1 || height < 1 || channels < 1 || outWidth < 1 || outHeight < 1 || source.Length != (long)width * height * channels)
            throw new ArgumentException($"the plane has {source.Length} values for {width}×{height}×{channels} (to {outWidth}×{outHeight})", nameof(source));
        _src = source; _width = width; _channels = channels;
        OutWidth = outWidth; OutHeight = outHeight;
        _tapsX = Planes.BilinearTaps(width, outWidth);
        _tapsY = Planes.BilinearTaps(height, outHeight);
        int n = width == outWidth ? 0 : outWidth * channels; // a plane of the output's width is read in place
        _slotA = new float[n]; _slotB = new float[n];
    }

    public int OutWidth { get; }
    public int OutHeight { get; }

    /// <summary>Output row <paramref name="y"/> into <paramref name="destination"/> (<see cref="OutWidth"/> × channels values).</summary>
    public void Row(int y, Span<float> destination)
    {
        if (destination.Length != OutWidth * _channels) throw new ArgumentException($"a row has {OutWidth * _channels} values", nameof(destination));
        int i0 = _tapsY.I0[y], i1 = _tapsY.I1[y];
        float f = _tapsY.F[y];
        var top = Source(i0, keep: -1);
        if (i1 == i0 || f == 0) { top.CopyTo(destination); return; }
        Lerp(top, Source(i1, keep: i0), f, destination);
    }

    /// <summary>Source row <paramref name="row"/> stretched to the output width, from a kept slot or made into the slot
    /// that does not hold <paramref name="keep"/>.</summary>
    ReadOnlySpan<float> Source(int row, int keep)
    {
        int n = _width * _channels;
        if (_slotA.Length == 0) return _src.AsSpan(row * n, n);
        if (row == _rowA) return _slotA;
        if (row == _rowB) return _slotB;
        if (_rowA == keep) { Stretch(row, _slotB); _rowB = row; return _slotB; }
        Stretch(row, _slotA); _rowA = row; return _slotA;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop
    void Stretch(int row, float[] into)
    {
        int c = _channels;
        ref float s = ref _src[row * _width * c];
        ref int x0 = ref MemoryMarshal.GetArrayDataReference(_tapsX.I0), x1 = ref MemoryMarshal.GetArrayDataReference(_tapsX.I1);
        ref float fx = ref MemoryMarshal.GetArrayDataReference(_tapsX.F), d = ref MemoryMarshal.GetArrayDataReference(into);
        // Without bounds checks: the taps lie within the source row (clamped to its width), x < OutWidth.
        for (int x = 0; x < OutWidth; x++)
        {
            ref float p0 = ref Unsafe.Add(ref s, c * Unsafe.Add(ref x0, x));
            ref float p1 = ref Unsafe.Add(ref s, c * Unsafe.Add(ref x1, x));
            float f = Unsafe.Add(ref fx, x);
            for (int k = 0; k < c; k++)
            {
                float v0 = Unsafe.Add(ref p0, k);
                Unsafe.Add(ref d, c * x + k) = v0 + (Unsafe.Add(ref p1, k) - v0) * f;
            }
        }
    }

    /// <summary><c>destination = a + (b − a)·f</c>, element-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: optimised from the first call, not after tiering
    public static void Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float f, Span<float> destination)
    {
        int n = destination.Length, i = 0;
        if (a.Length < n || b.Length < n) throw new ArgumentException("the rows are shorter than the destination");
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a[..n]);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b[..n]);
            var vd = MemoryMarshal.Cast<float, Vector<float>>(destination);
            var vf = new Vector<float>(f);
            for (int v = 0; v < vd.Length; v++) vd[v] = va[v] + (vb[v] - va[v]) * vf;
            i = vd.Length * Vector<float>.Count;
        }
        for (; i < n; i++) destination[i] = a[i] + (b[i] - a[i]) * f;
    }
}
