using SharpSeg.Imaging;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// A training-free embedding for finding near-duplicates: the image shrunk to <c>Side × Side</c> RGB cells by area
/// averaging (each cell is the mean of the pixels it covers, so resizing and JPEG re-encoding barely change it), minus
/// its overall mean brightness, L2-normalised. The cosine similarity of two such vectors is the correlation of the two
/// thumbnails: 1 for the same picture at any size or compression, lower as layout or colours differ. A flat image (one
/// colour) has no layout; it gets the constant vector, so flat images are duplicates of each other and unlike the rest.
/// </summary>
public sealed class ThumbnailEmbedder : IImageEmbedder
{
    /// <param name="side">Cells per side (4..64; default 16: 768 floats).</param>
    public ThumbnailEmbedder(int side = 16)
    {
        if (side < 4 || side > 64) throw new SharpSegException($"thumbnail side must be 4..64, got {side}.");
        Side = side;
    }

    public int Side { get; }
    public string Identity => $"thumbnail:{Side}";
    public int Dim => Side * Side * 3;
    public int Grid => 0;
    public int ImageChannels => 3;

    /// <summary>Returns the image itself (the thumbnail needs every pixel for its area averages).</summary>
    public RgbImage Prepare(RgbImage image) => image;

    public void Embed(IReadOnlyList<RgbImage> images, Span<float> output)
    {
        if (output.Length != images.Count * Dim) throw new ArgumentException($"expected {images.Count * Dim} floats", nameof(output));
        for (int i = 0; i < images.Count; i++) EmbedOne(images[i], output.Slice(i * Dim, Dim));
    }

    /// <summary>The thumbnail vector of one image (RGB or grey; grey is replicated to RGB).</summary>
    public float[] Embed(RgbImage image)
    {
        var v = new float[Dim];
        EmbedOne(image, v);
        return v;
    }

    void EmbedOne(RgbImage image, Span<float> v)
    {
        int w = image.Width, h = image.Height, c = image.Channels, s = Side;
        var px = image.Pixels;
        // Cell bounds: every cell covers at least one pixel, even for images smaller than the thumbnail.
        Span<int> xs = stackalloc int[s + 1];
        Span<int> ys = stackalloc int[s + 1];
        for (int k = 0; k <= s; k++) { xs[k] = (int)((long)k * w / s); ys[k] = (int)((long)k * h / s); }
        var sums = new double[s * 3];
        double total = 0;
        for (int cy = 0; cy < s; cy++)
        {
            int y0 = Math.Min(ys[cy], h - 1), y1 = Math.Max(ys[cy + 1], y0 + 1);
            Array.Clear(sums);
            var counts = new int[s];
            for (int y = y0; y < y1; y++)
            {
                int row = y * w;
                for (int cx = 0; cx < s; cx++)
                {
                    int x0 = Math.Min(xs[cx], w - 1), x1 = Math.Max(xs[cx + 1], x0 + 1);
                    double r = 0, g = 0, b = 0;
                    for (int x = x0; x < x1; x++)
                    {
                        int o = (row + x) * c;
                        if (c == 3) { r += px[o]; g += px[o + 1]; b += px[o + 2]; }
                        else { r += px[o]; g += px[o]; b += px[o]; }
                    }
                    sums[3 * cx] += r; sums[3 * cx + 1] += g; sums[3 * cx + 2] += b;
                    counts[cx] += x1 - x0;
                }
            }
            for (int cx = 0; cx < s; cx++)
                for (int k = 0; k < 3; k++)
                {
                    float m = (float)(sums[3 * cx + k] / counts[cx] / 255.0);
                    v[(cy * s + cx) * 3 + k] = m;
                    total += m;
                }
        }
        float mean = (float)(total / Dim);
        double ss = 0;
        for (int k = 0; k < v.Length; k++) { v[k] -= mean; ss += (double)v[k] * v[k]; }
        // Below this the image is one colour up to rounding: no layout to compare.
        if (ss < 1e-8 * Dim) { v.Fill((float)(1 / Math.Sqrt(Dim))); return; }
        float inv = (float)(1 / Math.Sqrt(ss));
        for (int k = 0; k < v.Length; k++) v[k] *= inv;
    }

    public void Dispose() { }
}
