namespace SharpSeg.Import;

/// <summary>
/// Fills polygons into a label map: a pixel is inside when its centre (x + 0.5, y + 0.5) is inside the polygon by the
/// even-odd rule, the convention of annotation tools that store vertices in pixel coordinates with (0, 0) at the image's
/// top-left corner (COCO, LabelMe, CVAT). Several rings of one shape are filled by even-odd together, so a ring inside
/// another is a hole.
/// </summary>
public static class PolygonRaster
{
    /// <summary>Sets <paramref name="labels"/>[y * width + x] = <paramref name="value"/> for every pixel inside the rings
    /// (each a flat list x0, y0, x1, y1, …; rings with fewer than 3 vertices are skipped).</summary>
    public static void Fill(byte[] labels, int width, int height, IReadOnlyList<IReadOnlyList<double>> rings, byte value)
    {
        var edges = new List<(double X0, double Y0, double X1, double Y1)>();
        double top = double.MaxValue, bottom = double.MinValue;
        foreach (var ring in rings)
        {
            int n = ring.Count / 2;
            if (n < 3) continue;
            for (int i = 0; i < n; i++)
            {
                double x0 = ring[2 * i], y0 = ring[2 * i + 1], x1 = ring[(2 * i + 2) % (2 * n)], y1 = ring[(2 * i + 3) % (2 * n)];
                if (!double.IsFinite(x0) || !double.IsFinite(y0) || !double.IsFinite(x1) || !double.IsFinite(y1)) continue;
                if (y0 == y1) continue;   // horizontal edges never cross a scanline through pixel centres
                edges.Add((x0, y0, x1, y1));
                top = Math.Min(top, Math.Min(y0, y1)); bottom = Math.Max(bottom, Math.Max(y0, y1));
            }
        }
        if (edges.Count == 0) return;
        int yStart = Math.Max(0, (int)Math.Floor(top - 0.5)), yEnd = Math.Min(height - 1, (int)Math.Ceiling(bottom - 0.5));
        var crossings = new List<double>();
        for (int y = yStart; y <= yEnd; y++)
        {
            double cy = y + 0.5;
            crossings.Clear();
            foreach (var (x0, y0, x1, y1) in edges)
                // Half-open in y, so a vertex on the scanline counts once.
                if ((y0 <= cy && cy < y1) || (y1 <= cy && cy < y0))
                    crossings.Add(x0 + (cy - y0) * (x1 - x0) / (y1 - y0));
            crossings.Sort();
            for (int k = 0; k + 1 < crossings.Count; k += 2)
            {
                // Pixels whose centre x + 0.5 lies in [left, right).
                int from = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5));
                int to = Math.Min(width - 1, (int)Math.Ceiling(crossings[k + 1] - 0.5) - 1);
                for (int x = from; x <= to; x++) labels[y * width + x] = value;
            }
        }
    }
}
