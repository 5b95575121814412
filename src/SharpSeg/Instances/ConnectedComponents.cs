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
    /// Gives each enclosed region of unlabelled pixels to the component that encloses it. Unlabelled regions are
    /// labelled with the complementary connectivity (4 for 8-connected components and vice versa, so a diagonal gap in
    /// an 8-connected ring does not let the inside out). A region that touches the image border is no hole. A region
    /// bordered by one component only is that component's hole; one bordered by several belongs to the component whose
    /// removal is the only way out to the border (found on the graph of regions and components).
    /// </summary>
    static void FillHoles(int[] ids, int width, int height, int count, Connectivity connectivity)
    {
        var background = new byte[ids.Length];
        for (int i = 0; i < ids.Length; i++) background[i] = ids[i] == 0 ? (byte)1 : (byte)0;
        var selected = new bool[256];
        selected[1] = true;
        var bgConnectivity = connectivity == Connectivity.Eight ? Connectivity.Four : Connectivity.Eight;
        var (regions, regionCount, _) = LabelCore(background, width, height, selected, bgConnectivity);
        if (regionCount == 0) return;
        // Node n: components 1..count, regions count+1..count+regionCount.
        int nodes = count + regionCount + 1;
        var border = new bool[nodes];
        int NodeOf(int i) => ids[i] != 0 ? ids[i] : count + regions[i];
        for (int x = 0; x < width; x++) { border[NodeOf(x)] = true; border[NodeOf((height - 1) * width + x)] = true; }
        for (int y = 0; y < height; y++) { border[NodeOf(y * width)] = true; border[NodeOf(y * width + width - 1)] = true; }
        var edges = new HashSet<long>();
        void Edge(int a, int b)
        {
            if (a == b) return;
            edges.Add(((long)a << 32) | (uint)b);
            edges.Add(((long)b << 32) | (uint)a);
        }
        bool diagonal = bgConnectivity == Connectivity.Eight;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x, n = NodeOf(i);
                if (x + 1 < width) Edge(n, NodeOf(i + 1));
                if (y + 1 < height)
                {
                    Edge(n, NodeOf(i + width));
                    if (diagonal)
                    {
                        if (x + 1 < width) Edge(n, NodeOf(i + width + 1));
                        if (x > 0) Edge(n, NodeOf(i + width - 1));
                    }
                }
            }
        var adjacency = new List<int>[nodes];
        for (int n = 0; n < nodes; n++) adjacency[n] = [];
        foreach (long e in edges) adjacency[(int)(e >> 32)].Add((int)(e & 0xFFFFFFFF));
        var owner = new int[regionCount + 1];
        for (int r = 1; r <= regionCount; r++)
        {
            int node = count + r;
            if (border[node]) continue;
            var around = adjacency[node]; // regions only touch components
            if (around.Count == 1) { owner[r] = around[0]; continue; }
            foreach (int candidate in around.Order())
                if (!ReachesBorder(node, candidate, adjacency, border)) { owner[r] = candidate; break; }
        }
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] == 0 && owner[regions[i]] != 0) ids[i] = owner[regions[i]];
    }

    static bool ReachesBorder(int start, int removed, List<int>[] adjacency, bool[] border)
    {
        var seen = new HashSet<int> { start, removed };
        var queue = new Queue<int>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            int n = queue.Dequeue();
            if (border[n]) return true;
            foreach (int m in adjacency[n])
                if (seen.Add(m)) queue.Enqueue(m);
        }
        return false;
    }
}
