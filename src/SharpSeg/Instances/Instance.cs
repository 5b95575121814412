using System.Text.Json.Serialization;

namespace SharpSeg.Instances;

/// <summary>
/// One instance: a connected component of one class. Coordinates are pixels, x right and y down; the bounding box is
/// COCO's [x, y, width, height] of the pixels it covers; the centroid is the mean of its pixels' indices (pixel (x, y)
/// counts as the point (x, y), as <c>scipy.ndimage.center_of_mass</c> does); the perimeter is the number of pixel edges
/// between the instance and anything else (image border included); the equivalent diameter is that of the disc with
/// the same area, √(4·area/π).
/// </summary>
public sealed record Instance
{
    [JsonPropertyName("id")] public required int Id { get; init; }
    [JsonPropertyName("class")] public required string ClassName { get; init; }
    [JsonPropertyName("class_index")] public required int ClassIndex { get; init; }
    [JsonPropertyName("area")] public required long Area { get; init; }
    [JsonPropertyName("bbox")] public required int[] BoundingBox { get; init; }
    [JsonPropertyName("centroid")] public required double[] Centroid { get; init; }
    [JsonPropertyName("perimeter")] public required long Perimeter { get; init; }
    [JsonPropertyName("equivalent_diameter")] public required double EquivalentDiameter { get; init; }
    /// <summary>Mean over the instance's pixels of the predicted probability of its class; null without probabilities.</summary>
    [JsonPropertyName("mean_confidence")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? MeanConfidence { get; init; }
    /// <summary>Mask-classification models (instances from queries): the query's class probability × the mean sigmoid
    /// of its mask over the pixels where its logit is positive (Mask2Former's instance score); null otherwise.</summary>
    [JsonPropertyName("score")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Score { get; init; }
    /// <summary>COCO RLE: {"size": [height, width], "counts": compressed string}.</summary>
    [JsonPropertyName("rle")] public required RleJson Rle { get; init; }
    /// <summary>Outer contour, COCO's flat [x0, y0, x1, y1, …] through pixel corners, in a list as COCO's "segmentation";
    /// an instance from queries can have several parts, one polygon each (in raster order of their first pixel).</summary>
    [JsonPropertyName("polygon")] public required int[][] Polygon { get; init; }
}

/// <summary>COCO's JSON form of an RLE.</summary>
public sealed record RleJson([property: JsonPropertyName("size")] int[] Size, [property: JsonPropertyName("counts")] string Counts)
{
    public static RleJson Of(CocoRle rle) => new([rle.Height, rle.Width], rle.ToCompressedString());
    public CocoRle ToRle() => CocoRle.FromCompressedString(Counts, Size[0], Size[1]);
}
