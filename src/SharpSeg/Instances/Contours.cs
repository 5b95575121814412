namespace SharpSeg.Instances;

/// <summary>
/// The outer contour of a component as a polygon through pixel corners (vertex (x, y) is the top-left corner of pixel
/// (x, y)), clockwise on screen, only the corners where the boundary turns. The polygon follows pixel edges, so its
/// shoelace area equals the component's pixel count when it has no holes; holes are not traced (COCO polygons cannot
/// express them; the RLE is exact). Under 8-connectivity a component whose parts touch only at a corner gives one
/// polygon that passes through that corner twice.
/// </summary>
public static class Contours
{
    // Directions clockwise on screen (y down): right, down, left, up.
    static readonly int[] Dx = [1, 0, -1, 0];
    static readonly int[] Dy = [0, 1, 0, -1];

    /// <summary>The outer contour of component <paramref name="id"/>, starting at the top-left corner of its first pixel in
    /// raster order (<paramref name="firstX"/>, <paramref name="firstY"/>), as x0, y0, x1, y1, … (COCO's flat form).</summary>
    public static int[] Outer(int[] ids, int width, int height, int id, int firstX, int firstY, Connectivity connectivity)
    {
        bool In(int x, int y) => x >= 0 && y >= 0 && x < width && y < height && ids[y * width + x] == id;
        if (!In(firstX, firstY)) throw new ArgumentException($"pixel ({firstX}, {firstY}) is not in component {id}");
        var points = new List<int>();
        int vx = firstX, vy = firstY, d = 0; // along the top edge of the first pixel, the component on the right
        int startX = vx, startY = vy;
        bool eight = connectivity == Connectivity.Eight;
        do
        {
            vx += Dx[d]; vy += Dy[d];
            // The two pixels ahead of vertex (vx, vy) when moving in direction d: on the left and on the right of the path.
            var (alx, aly, arx, ary) = d switch
            {
                0 => (vx, vy - 1, vx, vy),
                1 => (vx, vy, vx - 1, vy),
                2 => (vx - 1, vy, vx - 1, vy - 1),
                _ => (vx - 1, vy - 1, vx, vy - 1),
            };
            bool left = In(alx, aly), right = In(arx, ary);
            int nd = eight
                ? (left ? (d + 3) & 3 : right ? d : (d + 1) & 3)
                : (right ? (left ? (d + 3) & 3 : d) : (d + 1) & 3);
            if (nd != d) { points.Add(vx); points.Add(vy); }
            d = nd;
        } while (vx != startX || vy != startY || d != 0);
        // The start vertex is a corner (the first pixel has no component pixel above or to its left): it closes the loop
        // as the last point added; move it to the front.
        int n = points.Count;
        var ordered = new int[n];
        ordered[0] = points[n - 2]; ordered[1] = points[n - 1];
        points.CopyTo(0, ordered, 2, n - 2);
        return ordered;
    }

    /// <summary>The area enclosed by a flat polygon (shoelace formula), positive for clockwise-on-screen polygons.</summary>
    public static double Area(IReadOnlyList<int> polygon)
    {
        long twice = 0;
        int n = polygon.Count / 2;
        for (int i = 0; i < n; i++)
        {
            int j = (i + 1) % n;
            twice += (long)polygon[2 * i] * polygon[2 * j + 1] - (long)polygon[2 * j] * polygon[2 * i + 1];
        }
        return twice / 2.0;
    }
}
