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
    /// structure). Regions are labelled with that connectivity; one that touches the border is no hole; one bordered by a
    /// single component is that component's hole. For a region bordered by several, each of them is tested with a flood
    /// fill of the pixels outside it, from the frame of its bounding box grown by one pixel (everything beyond the box is
    /// outside the component and joined to the border), once per component however many regions it borders; the first
    /// in id order that encloses the region gets it. Cost: one labelling pass, one pass over the region pixels, and the
    /// box areas of the components tested.
    /// </summary>
    static void FillHoles(int[] ids, int width, int height, int count, Connectivity connectivity)
    {
        var bg = connectivity == Connectivity.Eight ? Connectivity.Four : Connectivity.Eight;
        var background = new byte[ids.Length];
        for (int i = 0; i < ids.Length; i++) background[i] = ids[i] == 0 ? (byte)1 : (byte)0;
        var selected = new bool[256];
        selected[1] = true;
        var (regions, regionCount, _) = LabelCore(background, width, height, selected, bg);
        if (regionCount == 0) return;
        var open = new bool[regionCount + 1];
        for (int x = 0; x < width; x++) { open[regions[x]] = true; open[regions[(height - 1) * width + x]] = true; }
        for (int y = 0; y < height; y++) { open[regions[y * width]] = true; open[regions[y * width + width - 1]] = true; }
        open[0] = true;
        var first = new int[regionCount + 1];
        Array.Fill(first, -1);
        var regionBox = new int[regionCount + 1][];
        // Components next to each enclosed region (bg connectivity), as (region, component) pairs.
        var pairs = new HashSet<long>();
        long lastPair = -1;
        bool diagonal = bg == Connectivity.Eight;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x, r = regions[i];
                if (open[r]) continue;
                if (first[r] < 0) { first[r] = i; regionBox[r] = [x, y, x, y]; }
                var rb = regionBox[r];
                if (x < rb[0]) rb[0] = x;
                if (x > rb[2]) rb[2] = x;
                rb[3] = y;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if ((dx == 0 && dy == 0) || (!diagonal && dx != 0 && dy != 0)) continue;
                        int k = ids[i + dy * width + dx]; // enclosed regions do not touch the border: neighbours exist
                        if (k == 0) continue;
                        long pair = ((long)r << 32) | (uint)k;
                        if (pair != lastPair) { pairs.Add(pair); lastPair = pair; } // runs along a boundary repeat the pair
                    }
            }
        var around = new Dictionary<int, List<int>>();
        foreach (long p in pairs)
        {
            int r = (int)(p >> 32), k = (int)(p & 0xFFFFFFFF);
            if (!around.TryGetValue(r, out var list)) around[r] = list = [];
            list.Add(k);
        }
        var owner = new int[regionCount + 1];
        var multi = around.Where(a => a.Value.Count > 1).ToList();
        foreach (var (r, list) in around)
            if (list.Count == 1) owner[r] = list[0];
        if (multi.Count > 0)
        {
            var box = new int[count + 1][];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int k = ids[y * width + x];
                    if (k == 0) continue;
                    var b = box[k] ??= [x, y, x, y];
                    if (x < b[0]) b[0] = x;
                    if (x > b[2]) b[2] = x;
                    b[3] = y;
                }
            // A component can only enclose a region that lies inside its bounding box: test only those pairs.
            var tests = new SortedDictionary<int, List<int>>(); // component -> regions to test it against
            foreach (var (r, list) in multi)
            {
                var rb = regionBox[r];
                foreach (int k in list)
                {
                    var b = box[k];
                    if (rb[0] <= b[0] || rb[1] <= b[1] || rb[2] >= b[2] || rb[3] >= b[3]) continue;
                    if (!tests.TryGetValue(k, out var rs)) tests[k] = rs = [];
                    rs.Add(r);
                }
            }
            foreach (var (k, rs) in tests) // ascending id: the first component found enclosing a region keeps it
            {
                var b = box[k];
                int x0 = Math.Max(0, b[0] - 1), y0 = Math.Max(0, b[1] - 1), x1 = Math.Min(width - 1, b[2] + 1), y1 = Math.Min(height - 1, b[3] + 1);
                var reached = FloodOutside(ids, width, k, x0, y0, x1, y1, diagonal);
                int bw = x1 - x0 + 1;
                foreach (int r in rs)
                {
                    if (owner[r] != 0) continue;
                    int fx = first[r] % width, fy = first[r] / width;
                    if (fx < x0 || fx > x1 || fy < y0 || fy > y1) continue;
                    if (!reached[(fy - y0) * bw + fx - x0]) owner[r] = k;
                }
            }
        }
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] == 0 && owner[regions[i]] != 0) ids[i] = owner[regions[i]];
    }

    /// <summary>Pixels of the box (x0, y0)..(x1, y1) reached from the box's edge through pixels other than component
    /// <paramref name="id"/>, with 4- or (<paramref name="diagonal"/>) 8-neighbours; row-major over the box.</summary>
    static bool[] FloodOutside(int[] ids, int width, int id, int x0, int y0, int x1, int y1, bool diagonal)
    {
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        var reached = new bool[bw * bh];
        var stack = new Stack<int>();
        void Seed(int bx, int by)
        {
            int j = by * bw + bx;
            if (!reached[j] && ids[(by + y0) * width + bx + x0] != id) { reached[j] = true; stack.Push(j); }
        }
        for (int bx = 0; bx < bw; bx++) { Seed(bx, 0); Seed(bx, bh - 1); }
        for (int by = 0; by < bh; by++) { Seed(0, by); Seed(bw - 1, by); }
        while (stack.Count > 0)
        {
            int j = stack.Pop();
            int bx = j % bw, by = j / bw;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    if ((dx == 0 && dy == 0) || (!diagonal && dx != 0 && dy != 0)) continue;
                    int nx = bx + dx, ny = by + dy;
                    if (nx < 0 || ny < 0 || nx >= bw || ny >= bh) continue;
                    Seed(nx, ny);
                }
        }
        return reached;
    }
}
