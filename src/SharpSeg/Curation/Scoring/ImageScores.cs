namespace SharpSeg.Curation.Scoring;

/// <summary>What a trained model says about one unlabelled image: how uncertain it is and which classes it predicts.</summary>
/// <param name="Path">The image, relative to the scored collection's root ('/'-separated).</param>
/// <param name="Uncertainty">Uncertainty under each measure.</param>
/// <param name="ClassShares">Share of the image's pixels predicted as each class (sums to 1).</param>
public sealed record ImageScores(string Path, UncertaintyScores Uncertainty, IReadOnlyList<float> ClassShares);
