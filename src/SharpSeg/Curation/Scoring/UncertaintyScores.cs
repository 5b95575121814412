namespace SharpSeg.Curation.Scoring;

/// <summary>One image's uncertainty under each <see cref="UncertaintyMeasure"/>, aggregated over its pixels two ways:
/// the mean over all pixels, and the mean over the most uncertain share of pixels (top share, e.g. 10 %: uncertainty
/// concentrated on small objects and boundaries is not averaged away by large confident regions).</summary>
public sealed record UncertaintyScores(
    double EntropyMean, double EntropyTop,
    double MarginMean, double MarginTop,
    double LeastConfidenceMean, double LeastConfidenceTop)
{
    /// <summary>The score for <paramref name="measure"/>, aggregated as the top-share mean (<paramref name="top"/>) or the plain mean.</summary>
    public double Get(UncertaintyMeasure measure, bool top) => measure switch
    {
        UncertaintyMeasure.Entropy => top ? EntropyTop : EntropyMean,
        UncertaintyMeasure.Margin => top ? MarginTop : MarginMean,
        UncertaintyMeasure.LeastConfidence => top ? LeastConfidenceTop : LeastConfidenceMean,
        _ => throw new ArgumentOutOfRangeException(nameof(measure)),
    };
}
