using SharpSeg.Imaging;

namespace SharpSeg.Instances;

/// <summary>
/// Connected components of a class-index mask, per class: two pixels are in one component when they have the same
/// class and are joined by a path of 4- or 8-neighbours of that class. Linear time: one raster pass assigns provisional
/// labels and records equivalences in a union-find forest (union by smaller label, path halving), a second pass maps
/// each provisional label to its component; no recursion, no per-pixel queue, so a 4000×4000 mask takes a few
/// passes over 16 M pixels (docs/ANNOTATION.md has the measured time).
/// </summary>
public static class ConnectedComponents
{
    /// <summary>
    /// Labels the components of the classes marked in <paramref name="labelled"/> (indexed by class value; the
    /// <see cref="LabelMask.Ignore"/> value is never labelled). Components under <paramref name="minArea"/> pixels are
    /// dropped (their pixels get id 0) and the rest renumbered without gaps, keeping raster order. With
    /// <paramref name="fillHoles"/>, every region of unlabelled pixels (id 0 after the area filter) that one component
    /// encloses is given to that component; pixels of another component inside it keep their own id, so the ids stay
    /// a partition of the image.
    /// </summary>
    public static ComponentLabels Label(LabelMask mask, Connectivity connectivity, ReadOnlySpan<bool> labelled, int minArea = 0, bool fillHoles = false)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (connectivity is not (Connectivity.Four or Connectivity.Eight)) throw new ArgumentOutOfRangeException(nameof(connectivity), $"connectivity is 4 or 8, got {(int)connectivity}");
        if (minArea < 0) throw new ArgumentOutOfRangeException(nameof(minArea), $"minimum area must be 0 or more, got {minArea}");
        var selected = new bool[256];
        for (int c = 0; c < Math.Min(labelled.Length, 255); c++) selected[c] = labelled[c];
        var (ids, count, classes) = LabelCore(mask.Labels, mask.Width, mask.Height, selected, connectivity);
        if (minArea > 1 && count > 0)
        {
            var area = new long[count + 1];
            foreach (int id in ids) area[id]++;
            var remap = new int[count + 1];
            var kept = new List<byte>(count);
            for (int k = 1; k <= count; k++)
                if (area[k] >= minArea) { kept.Add(classes[k - 1]); remap[k] = kept.Count; }
            if (kept.Count != count)
            {
                for (int i = 0; i < ids.Length; i++) ids[i] = remap[ids[i]];
                classes = kept.ToArray();
                count = classes.Length;
            }
        }
        if (fillHoles && count > 0) FillHoles(ids, mask.Width, mask.Height, count, connectivity);
        return new ComponentLabels(mask.Width, mask.Height, ids, classes);
    }

    /// <summary>Labels every class but <see cref="LabelMask.Ignore"/>.</summary>
    public static ComponentLabels Label(LabelMask mask, Connectivity connectivity = Connectivity.Eight)
    {
        var all = new bool[256];
        Array.Fill(all, true);
        return Label(mask, connectivity, all);
    }

    /// <summary>
    /// The two-pass labelling. <paramref name="keys"/> is row-major; pixels whose key is selected are joined to neighbours
    /// with the same key. Returns ids 1..count in raster order of first pixels and the key of each component.
    /// </summary>
    static (int[] Ids, int Count, byte[] Keys) LabelCore(byte[] keys, int width, int height, bool[] selected, Connectivity connectivity)
    {
        var ids = new int[keys.Length];
        var parent = new int[Math.Max(1024, Math.Min(keys.Length / 8 + 2, 1 << 20))];
        int next = 1; // provisional label 0 = none
        bool eight = connectivity == Connectivity.Eight;
        for (int y = 0; y < height; y++)
        {
            int row = y * width, up = row - width;
            for (int x = 0; x < width; x++)
            {
                int i = row + x;
                byte c = keys[i];
                if (!selected[c]) continue;
                bool hasLeft = x > 0 && keys[i - 1] == c;
                bool hasUp = y > 0 && keys[up + x] == c;
                int l;
                if (eight)
                {
                    bool hasUpLeft = y > 0 && x > 0 && keys[up + x - 1] == c;
                    bool hasUpRight = y > 0 && x + 1 < width && keys[up + x + 1] == c;
                    // The left pixel already joined its own up, up-left and up (our up-left and up): only pairs not
                    // joined before need a union.
                    if (hasUp) l = ids[up + x];
                    else if (hasUpLeft) { l = ids[up + x - 1]; if (hasUpRight) Union(parent, l, ids[up + x + 1]); }
                    else if (hasUpRight) { l = ids[up + x + 1]; if (hasLeft) Union(parent, l, ids[i - 1]); }
                    else if (hasLeft) l = ids[i - 1];
                    else l = NewLabel(ref parent, ref next);
                }
                else
                {
                    if (hasUp) { l = ids[up + x]; if (hasLeft) Union(parent, l, ids[i - 1]); }
                    else if (hasLeft) l = ids[i - 1];
                    else l = NewLabel(ref parent, ref next);
                }
                ids[i] = l;
            }
        }
        // Roots are the smallest label of their set, created at the set's first pixel in raster order: numbering roots in
        // increasing order numbers components by first pixel. A non-root's root is smaller, so already numbered.
        var final = new int[next];
        int count = 0;
        for (int l = 1; l < next; l++)
        {
            int r = Find(parent, l);
            final[l] = r == l ? ++count : final[r];
        }
        var componentKeys = new byte[count];
        for (int i = 0; i < ids.Length; i++)
        {
            int l = ids[i];
            if (l == 0) continue;
            int k = final[l];
            ids[i] = k;
            componentKeys[k - 1] = keys[i];
        }
        return (ids, count, componentKeys);
    }

    static int NewLabel(ref int[] parent, ref int next)
    {
        if (next == parent.Length) Array.Resize(ref parent, parent.Length * 2);
        parent[next] = next;
        return next++;
    }

    static int Find(int[] parent, int l)
    {
        while (parent[l] != l)
        {
            parent[l] = parent[parent[l]];
            l = parent[l];
        }
        return l;
    }

    static void Union(int[] parent, int a, int b)
    {
        a = Find(parent, a); b = Find(parent, b);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
    }

    /// <summary>
    /// Gives each enclosed region of unlabelled pixels to the component that encloses it: a region R of id-0 pixels is a
    /// hole of component A when R cannot reach the image border through pixels outside A, moving with the complementary
    /// connectivity (4 for 8-connected components and vice versa, as <c>scipy.ndimage.binary_fill_holes</c> with that
    /// structure). To decide it exactly without a flood fill per pair, the image is cut into pieces: maximal sets of
    /// pixels with the same id connected under the complementary connectivity. R is one piece; the pixels outside A are
    /// the pieces not of A, joined where they touch. R bordered by pieces of one component A only is A's hole; otherwise
    /// each component bordering R is tried in id order with a search over the piece graph, and the first that encloses R
    /// gets it. A region that touches the border is no hole.
    /// </summary>
    static void FillHoles(int[] ids, int width, int height, int count, Connectivity connectivity)
    {
        var bg = connectivity == Connectivity.Eight ? Connectivity.Four : Connectivity.Eight;
        var (pieces, pieceCount, pieceId) = LabelAll(ids, width, height, bg);
        var border = new bool[pieceCount + 1];
        for (int x = 0; x < width; x++) { border[pieces[x]] = true; border[pieces[(height - 1) * width + x]] = true; }
        for (int y = 0; y < height; y++) { border[pieces[y * width]] = true; border[pieces[y * width + width - 1]] = true; }
        bool anyEnclosed = false;
        for (int p = 1; p <= pieceCount; p++) anyEnclosed |= pieceId[p - 1] == 0 && !border[p];
        if (!anyEnclosed) return;
        var edges = new HashSet<long>();
        void Edge(int a, int b)
        {
            if (a == b) return;
            edges.Add(((long)a << 32) | (uint)b);
            edges.Add(((long)b << 32) | (uint)a);
        }
        bool diagonal = bg == Connectivity.Eight;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x, n = pieces[i];
                if (x + 1 < width) Edge(n, pieces[i + 1]);
                if (y + 1 < height)
                {
                    Edge(n, pieces[i + width]);
                    if (diagonal)
                    {
                        if (x + 1 < width) Edge(n, pieces[i + width + 1]);
                        if (x > 0) Edge(n, pieces[i + width - 1]);
                    }
                }
            }
        var adjacency = new List<int>[pieceCount + 1];
        for (int n = 0; n <= pieceCount; n++) adjacency[n] = [];
        foreach (long e in edges) adjacency[(int)(e >> 32)].Add((int)(e & 0xFFFFFFFF));
        var owner = new int[pieceCount + 1];
        for (int r = 1; r <= pieceCount; r++)
        {
            if (pieceId[r - 1] != 0 || border[r]) continue;
            var around = adjacency[r].Select(p => pieceId[p - 1]).Where(k => k != 0).Distinct().Order().ToList();
            if (around.Count == 1) { owner[r] = around[0]; continue; }
            foreach (int candidate in around)
                if (!ReachesBorder(r, candidate, adjacency, border, pieceId)) { owner[r] = candidate; break; }
        }
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] == 0 && owner[pieces[i]] != 0) ids[i] = owner[pieces[i]];
    }

    /// <summary>Pieces: maximal sets of pixels with equal <paramref name="keys"/> connected under <paramref name="connectivity"/>,
    /// numbered 1..count (not in raster order); with the key of each.</summary>
    static (int[] Pieces, int Count, int[] Keys) LabelAll(int[] keys, int width, int height, Connectivity connectivity)
    {
        var ids = new int[keys.Length];
        var parent = new int[1024];
        int next = 1;
        bool eight = connectivity == Connectivity.Eight;
        for (int y = 0; y < height; y++)
        {
            int row = y * width, up = row - width;
            for (int x = 0; x < width; x++)
            {
                int i = row + x, c = keys[i], l = 0;
                if (y > 0 && keys[up + x] == c) l = ids[up + x];
                if (x > 0 && keys[i - 1] == c) { if (l == 0) l = ids[i - 1]; else Union(parent, l, ids[i - 1]); }
                if (eight && y > 0)
                {
                    if (x > 0 && keys[up + x - 1] == c) { if (l == 0) l = ids[up + x - 1]; else Union(parent, l, ids[up + x - 1]); }
                    if (x + 1 < width && keys[up + x + 1] == c) { if (l == 0) l = ids[up + x + 1]; else Union(parent, l, ids[up + x + 1]); }
                }
                ids[i] = l != 0 ? l : NewLabel(ref parent, ref next);
            }
        }
        var final = new int[next];
        int count = 0;
        for (int l = 1; l < next; l++)
        {
            int r = Find(parent, l);
            final[l] = r == l ? ++count : final[r];
        }
        var pieceKeys = new int[count];
        for (int i = 0; i < ids.Length; i++)
        {
            int k = final[ids[i]];
            ids[i] = k;
            pieceKeys[k - 1] = keys[i];
        }
        return (ids, count, pieceKeys);
    }

    static bool ReachesBorder(int start, int removed, List<int>[] adjacency, bool[] border, int[] pieceId)
    {
        var seen = new HashSet<int> { start };
        var queue = new Queue<int>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            int n = queue.Dequeue();
            if (border[n]) return true;
            foreach (int m in adjacency[n])
                if (pieceId[m - 1] != removed && seen.Add(m)) queue.Enqueue(m);
        }
        return false;
    }
}
