namespace SharpSeg.Curation.Selection;

/// <summary>How well a chosen set covers the rest: distance (√(2 − 2·cos), 0..2) of every image not chosen to its nearest chosen image.</summary>
/// <param name="Chosen">Images in the chosen set.</param>
/// <param name="MeanDistance">Mean over the images not chosen.</param>
/// <param name="MaxDistance">Largest (the k-center radius).</param>
/// <param name="P90Distance">90th percentile.</param>
public sealed record CoverageStats(int Chosen, double MeanDistance, double MaxDistance, double P90Distance);
