using TorchSharp;
using Xunit;
using SharpSeg.Curation.Scoring;

namespace SharpSeg.Tests.Curation;

public sealed class UncertaintyTests
{
    /// <summary>Class-major probabilities [C, P] from per-pixel distributions.</summary>
    static float[] Map(params float[][] pixels)
    {
        int c = pixels[0].Length, p = pixels.Length;
        var a = new float[c * p];
        for (int i = 0; i < p; i++) for (int k = 0; k < c; k++) a[k * p + i] = pixels[i][k];
        return a;
    }

    static float[] Pixels(float[] map, int classes, UncertaintyMeasure m)
    {
        using var t = torch.tensor(map, new long[] { classes, map.Length / classes });
        using var s = UncertaintyScorer.PixelScores(t, m);
        return s.data<float>().ToArray();
    }

    [Fact]
    public void PerPixelMeasuresMatchHandComputedValues()
    {
        // Pixels: certain, a tie, and (0.7, 0.2, 0.1).
        var map = Map([1, 0, 0], [0.5f, 0.5f, 0], [0.7f, 0.2f, 0.1f]);
        double h = -(0.7 * Math.Log(0.7) + 0.2 * Math.Log(0.2) + 0.1 * Math.Log(0.1)) / Math.Log(3);
        var entropy = Pixels(map, 3, UncertaintyMeasure.Entropy);
        Assert.Equal(0, entropy[0], 5);
        Assert.Equal(Math.Log(2) / Math.Log(3), entropy[1], 5);
        Assert.Equal(h, entropy[2], 5);
        var margin = Pixels(map, 3, UncertaintyMeasure.Margin);
        Assert.Equal(new[] { 0f, 1f, 0.5f }, margin.Select(v => MathF.Round(v, 5)));
        var lc = Pixels(map, 3, UncertaintyMeasure.LeastConfidence);
        Assert.Equal(new[] { 0f, 0.75f, 0.45f }, lc.Select(v => MathF.Round(v, 5)));
        // Two classes, uniform: every measure is 1.
        var uniform = Map([0.5f, 0.5f]);
        foreach (var m in Enum.GetValues<UncertaintyMeasure>()) Assert.Equal(1, Pixels(uniform, 2, m)[0], 5);
    }

    [Fact]
    public void TopShareAveragesOnlyTheMostUncertainPixels()
    {
        // Four pixels with margins 0, 0, 0.5, 1: mean 0.375; top half 0.75; top quarter 1.
        var map = Map([1, 0], [1, 0], [0.75f, 0.25f], [0.5f, 0.5f]);
        var s = UncertaintyScorer.Score(map, 2, topShare: 0.5);
        Assert.Equal(0.375, s.MarginMean, 5);
        Assert.Equal(0.75, s.MarginTop, 5);
        Assert.Equal(1, UncertaintyScorer.Score(map, 2, topShare: 0.25).MarginTop, 5);
        Assert.Equal(s.MarginTop, s.Get(UncertaintyMeasure.Margin, top: true));
        Assert.Equal(s.EntropyMean, s.Get(UncertaintyMeasure.Entropy, top: false));
        // A small uncertain object in a confident image: top share notices it, the mean barely does.
        var pixels = Enumerable.Repeat(new float[] { 0.99f, 0.01f }, 95).Concat(Enumerable.Repeat(new float[] { 0.5f, 0.5f }, 5)).ToArray();
        var small = UncertaintyScorer.Score(Map(pixels), 2, topShare: 0.05);
        Assert.True(small.EntropyTop > 0.99 && small.EntropyMean < 0.15, $"{small}");
    }
}
