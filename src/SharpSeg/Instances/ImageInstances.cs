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
}

/// <summary>Cuts instances from a class-index mask and measures them (<see cref="Instance"/>).</summary>
public static class InstanceExtraction
{
    /// <param name="mask">Class indices (the class table of <paramref name="options"/>), ignore = void.</param>
    /// <param name="options">Things, stuff, connectivity, minimum area, hole filling.</param>
    /// <param name="probabilities">Class-major softmax probabilities [C, H, W] (<c>Inference.InferenceResult</c>'s form),
    /// for each instance's mean confidence; null when the mask was not predicted.</param>
    public static ImageInstances Extract(LabelMask mask, ResolvedInstanceOptions options, float[]? probabilities = null)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(options);
        int w = mask.Width, h = mask.Height;
        long plane = (long)w * h;
        int classCount = options.Classes.Count;
        if (probabilities != null && probabilities.LongLength != plane * classCount)
            throw new ArgumentException($"probabilities hold {probabilities.LongLength} values, expected {classCount} classes × {plane} pixels");
        var o = options.Options;
        var components = ConnectedComponents.Label(mask, o.Connectivity, options.Things, o.MinArea, o.FillHoles);
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
                Rle = RleJson.Of(rle),
                Polygon = [Contours.Outer(ids, w, h, k, firstX[k], firstY[k], o.Connectivity)],
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
