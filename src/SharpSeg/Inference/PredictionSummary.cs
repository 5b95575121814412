using System.Text.Json.Serialization;

namespace SharpSeg.Inference;

/// <summary>What <c>{stem}_summary.json</c> holds for one predicted image: its size, how many tiles it was cut into,
/// and the predicted pixel count and share of every class (in class-index order, classes with no pixels included).</summary>
public sealed record PredictionSummary(
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("tiles")] int Tiles,
    [property: JsonPropertyName("classes")] IReadOnlyList<PredictedClassShare> Classes)
{
    /// <summary>Counts the classes of <paramref name="result"/>'s mask.</summary>
    public static PredictionSummary Of(string image, InferenceResult result, IReadOnlyList<string> classNames)
    {
        var counts = new long[Math.Max(result.Classes, classNames.Count)];
        foreach (byte label in result.Mask.Labels)
            if (label < counts.Length) counts[label]++;
        double total = (double)result.Mask.Width * result.Mask.Height;
        var classes = counts.Select((n, i) => new PredictedClassShare(i, i < classNames.Count ? classNames[i] : $"class{i}", n, total > 0 ? Math.Round(n / total, 6) : 0)).ToList();
        return new PredictionSummary(image, result.Mask.Width, result.Mask.Height, result.Tiles, classes);
    }
}

/// <summary>One class's line in a <see cref="PredictionSummary"/>: index, name, predicted pixels, share of the image (0..1).</summary>
public sealed record PredictedClassShare(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("pixels")] long Pixels,
    [property: JsonPropertyName("share")] double Share);
