using SharpSeg.Imaging;

namespace SharpSeg.Instances;

/// <summary>A stuff class's one panoptic segment in an image: all its pixels that no instance took.</summary>
public sealed record StuffSegment(int SegmentId, int ClassIndex, string ClassName, long Area, int[] BoundingBox);

/// <summary>
/// Instances and panoptic segments of one mask. <see cref="Components"/> holds the instance id per pixel (0 = none);
/// <see cref="PanopticIds"/> the panoptic segment id per pixel: instance ids 1..N for instances, N+1.. for the stuff
/// segments (in class order), 0 for void.
/// </summary>
public sealed record ImageInstances(ComponentLabels Components, IReadOnlyList<Instance> Instances, IReadOnlyList<StuffSegment> Stuff, int[] PanopticIds)
{
    public int Width => Components.Width;
    public int Height => Components.Height;
    /// <summary>How the instances were found: <see cref="InstanceExtraction.FromComponents"/> (connected components of a
    /// class-index mask) or <see cref="InstanceExtraction.FromQueries"/> (a mask-classification model's segments).</summary>
    public string Method { get; init; } = InstanceExtraction.FromComponents;
}

/// <summary>One segment of a segment-id map given to <see cref="InstanceExtraction.FromSegments"/>: its id in the map, its
/// class index and, from a mask-classification model, its score (<see cref="Instance.Score"/>).</summary>
public sealed record SegmentInfo(int Id, int ClassIndex, double? Score = null);

/// <summary>Cuts instances from a class-index mask and measures them (<see cref="Instance"/>).</summary>
public static class InstanceExtraction
{
    /// <summary><see cref="ImageInstances.Method"/> of instances cut as connected components.</summary>
    public const string FromComponents = "components";
    /// <summary><see cref="ImageInstances.Method"/> of instances that are a mask-classification model's query segments.</summary>
    public const string FromQueries = "queries";

    /// <param name="mask">Class indices (the class table of <paramref name="options"/>), ignore = void.</param>
    /// <param name="options">Things, stuff, connectivity, minimum area, hole filling.</param>
    /// <param name="probabilities">Class-major softmax probabilities [C, H, W] (<c>Inference.InferenceResult</c>'s form),
    /// for each instance's mean confidence; null when the mask was not predicted.</param>
    public static ImageInstances Extract(LabelMask mask, ResolvedInstanceOptions options, float[]? probabilities = null)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Options;
        var components = ConnectedComponents.Label(mask, o.Connectivity, options.Things, o.MinArea, o.FillHoles);
        return Measure(mask, components, options, probabilities, null, splitParts: false);
    }

    /// <summary>
    /// Instances and stuff segments from a segment-id map, such as Mask2Former's panoptic output: each segment of a
    /// thing class (<see cref="ResolvedInstanceOptions.Things"/>) is one instance, whatever its shape (it may have several
    /// parts, each with its own polygon), unless it has fewer than <see cref="InstanceOptions.MinArea"/> pixels; the
    /// segments of a stuff class are that class's one stuff segment; other classes and id 0 are void. Instance ids follow
    /// the order of <paramref name="segments"/>. <see cref="InstanceOptions.Connectivity"/> only decides how a segment's
    /// parts are told apart for the polygons; <see cref="InstanceOptions.FillHoles"/> is refused.
    /// </summary>
    /// <param name="segmentIds">Segment id per pixel, row-major <c>[H, W]</c>; 0 = void.</param>
    /// <param name="width">W.</param>
    /// <param name="height">H.</param>
    /// <param name="segments">The segments (every nonzero id of the map must be one of them).</param>
    /// <param name="options">Things, stuff, minimum area.</param>
    /// <param name="probabilities">Class-major probabilities <c>[C, H, W]</c> for mean confidences, or null.</param>
    public static ImageInstances FromSegments(int[] segmentIds, int width, int height, IReadOnlyList<SegmentInfo> segments, ResolvedInstanceOptions options, float[]? probabilities = null)
    {
        ArgumentNullException.ThrowIfNull(segmentIds);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(options);
        if ((long)width * height != segmentIds.Length) throw new ArgumentException($"segment map has {segmentIds.Length} entries, expected {width} × {height}");
        if (options.Options.FillHoles) throw new SharpSegException("--fill-holes applies to connected components; instances from a model's queries are its segments as predicted (use --instances-from components to fill holes).");
        var index = new Dictionary<int, int>();
        for (int s = 0; s < segments.Count; s++)
        {
            var info = segments[s];
            if (info.Id <= 0 || !index.TryAdd(info.Id, s)) throw new ArgumentException($"segment id {info.Id} is not positive or is given twice", nameof(segments));
            if (info.ClassIndex < 0 || info.ClassIndex >= options.Classes.Count) throw new ArgumentException($"segment {info.Id}: class {info.ClassIndex} is not in the class table", nameof(segments));
        }
        var area = new long[segments.Count];
        var segmentOf = new int[segmentIds.Length];
        for (int i = 0; i < segmentIds.Length; i++)
        {
            int id = segmentIds[i];
            if (id == 0) { segmentOf[i] = -1; continue; }
            if (!index.TryGetValue(id, out int s)) throw new ArgumentException($"segment id {id} at pixel {i} is not among the segments", nameof(segmentIds));
            segmentOf[i] = s;
            area[s]++;
        }
        var instanceId = new int[segments.Count];
        var classOf = new List<byte>();
        var scores = new List<double?>();
        for (int s = 0; s < segments.Count; s++)
        {
            int c = segments[s].ClassIndex;
            if (!options.Things[c] || area[s] == 0 || area[s] < options.Options.MinArea) continue;
            classOf.Add((byte)c);
            scores.Add(segments[s].Score);
            instanceId[s] = classOf.Count;
        }
        var ids = new int[segmentIds.Length];
        var labels = new byte[segmentIds.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            int s = segmentOf[i];
            labels[i] = Imaging.LabelMask.Ignore;
            if (s < 0) continue;
            int c = segments[s].ClassIndex;
            ids[i] = instanceId[s];
            if (instanceId[s] != 0 || options.Stuff[c]) labels[i] = (byte)c;
        }
        var components = new ComponentLabels(width, height, ids, [.. classOf]);
        return Measure(new LabelMask(width, height, labels), components, options, probabilities, [.. scores], splitParts: true) with { Method = FromQueries };
    }

    /// <summary>Measures the instances of <paramref name="components"/> and the stuff segments of <paramref name="mask"/>
    /// (pixels outside every instance whose class is stuff); with <paramref name="splitParts"/> an instance may have
    /// several parts and gets one polygon per part.</summary>
    static ImageInstances Measure(LabelMask mask, ComponentLabels components, ResolvedInstanceOptions options, float[]? probabilities, double?[]? scores, bool splitParts)
    {
        int w = mask.Width, h = mask.Height;
        long plane = (long)w * h;
        int classCount = options.Classes.Count;
        if (probabilities != null && probabilities.LongLength != plane * classCount)
            throw new ArgumentException($"probabilities hold {probabilities.LongLength} values, expected {classCount} classes × {plane} pixels");
        var o = options.Options;
        int n = components.Count;
        var ids = components.Ids;
        var labels = mask.Labels;
        var area = new long[n + 1];
        var minX = new int[n + 1]; var minY = new int[n + 1]; var maxX = new int[n + 1]; var maxY = new int[n + 1];
        var firstX = new int[n + 1]; var firstY = new int[n + 1];
        var sumX = new double[n + 1]; var sumY = new double[n + 1];
        var perimeter = new long[n + 1];
        var confidence = probabilities == null ? null : new double[n + 1];
        Array.Fill(minX, int.MaxValue); Array.Fill(minY, int.MaxValue); Array.Fill(maxX, -1); Array.Fill(maxY, -1);
        var stuffArea = new long[classCount];
        var stuffBox = new int[classCount][];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x, k = ids[i];
                if (k == 0)
                {
                    int c = labels[i];
                    if (c < classCount && options.Stuff[c])
                    {
                        stuffArea[c]++;
                        var b = stuffBox[c] ??= [int.MaxValue, int.MaxValue, -1, -1];
                        if (x < b[0]) b[0] = x;
                        if (y < b[1]) b[1] = y;
                        if (x > b[2]) b[2] = x;
                        if (y > b[3]) b[3] = y;
                    }
                    continue;
                }
                if (area[k]++ == 0) { firstX[k] = x; firstY[k] = y; }
                if (x < minX[k]) minX[k] = x;
                if (x > maxX[k]) maxX[k] = x;
                if (y < minY[k]) minY[k] = y;
                maxY[k] = y;
                sumX[k] += x; sumY[k] += y;
                if (x == 0 || ids[i - 1] != k) perimeter[k]++;
                if (x == w - 1 || ids[i + 1] != k) perimeter[k]++;
                if (y == 0 || ids[i - w] != k) perimeter[k]++;
                if (y == h - 1 || ids[i + w] != k) perimeter[k]++;
                if (confidence != null) confidence[k] += probabilities![components.ClassOf[k - 1] * plane + i];
            }
        var instances = new Instance[n];
        for (int k = 1; k <= n; k++)
        {
            int c = components.ClassOf[k - 1];
            var rle = CocoRle.Encode(ids, w, h, k, minX[k], minY[k], maxX[k], maxY[k]);
            instances[k - 1] = new Instance
            {
                Id = k,
                ClassIndex = c,
                ClassName = options.Classes[c].Name,
                Area = area[k],
                BoundingBox = [minX[k], minY[k], maxX[k] - minX[k] + 1, maxY[k] - minY[k] + 1],
                Centroid = [sumX[k] / area[k], sumY[k] / area[k]],
                Perimeter = perimeter[k],
                EquivalentDiameter = Math.Sqrt(4.0 * area[k] / Math.PI),
                MeanConfidence = confidence == null ? null : confidence[k] / area[k],
                Score = scores?[k - 1],
                Rle = RleJson.Of(rle),
                Polygon = splitParts ? PartPolygons(ids, w, k, minX[k], minY[k], maxX[k], maxY[k], o.Connectivity)
                    : [Contours.Outer(ids, w, h, k, firstX[k], firstY[k], o.Connectivity)],
            };
        }
        var stuff = new List<StuffSegment>();
        var stuffId = new int[classCount];
        for (int c = 0; c < classCount; c++)
            if (stuffArea[c] > 0)
            {
                if (n + stuff.Count + 1 > PanopticPng.MaxId) throw new SharpSegException($"{n} instances are more than a panoptic PNG holds ({PanopticPng.MaxId}); raise --min-area.");
                stuffId[c] = n + stuff.Count + 1;
                var b = stuffBox[c];
                stuff.Add(new StuffSegment(stuffId[c], c, options.Classes[c].Name, stuffArea[c], [b[0], b[1], b[2] - b[0] + 1, b[3] - b[1] + 1]));
            }
        var panoptic = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            int k = ids[i];
            if (k != 0) panoptic[i] = k;
            else if (labels[i] < classCount) panoptic[i] = stuffId[labels[i]];
        }
        return new ImageInstances(components, instances, stuff, panoptic);
    }

    /// <summary>One outer polygon per connected part of instance <paramref name="id"/> (parts in raster order of their first
    /// pixel), labelled within its bounding box.</summary>
    static int[][] PartPolygons(int[] ids, int width, int id, int minX, int minY, int maxX, int maxY, Connectivity connectivity)
    {
        int bw = maxX - minX + 1, bh = maxY - minY + 1;
        var crop = new byte[bw * bh];
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++)
                if (ids[(minY + y) * width + minX + x] == id) crop[y * bw + x] = 1;
        var parts = ConnectedComponents.Label(new LabelMask(bw, bh, crop), connectivity, [false, true]);
        var polygons = new int[parts.Count][];
        for (int i = 0, next = 1; i < crop.Length && next <= parts.Count; i++)
        {
            if (parts.Ids[i] != next) continue;
            var polygon = Contours.Outer(parts.Ids, bw, bh, next, i % bw, i / bw, connectivity);
            for (int v = 0; v < polygon.Length; v += 2) { polygon[v] += minX; polygon[v + 1] += minY; }
            polygons[next - 1] = polygon;
            next++;
        }
        return polygons;
    }

    /// <summary>The instance ids as a 16-bit gray PNG raster (0 = no instance); more than 65535 instances do not fit.</summary>
    public static PngRaster InstanceIdRaster(ComponentLabels components, string imageName)
    {
        if (components.Count > ushort.MaxValue)
            throw new SharpSegException($"{imageName}: {components.Count} instances are more than a 16-bit instance-id PNG holds (65535); raise --min-area or pass fewer --classes.");
        var samples = new ushort[components.Ids.Length];
        for (int i = 0; i < samples.Length; i++) samples[i] = (ushort)components.Ids[i];
        return new PngRaster(components.Width, components.Height, PngColorType.Gray, 16, samples);
    }
}
