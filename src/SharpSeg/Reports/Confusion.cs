namespace SharpSeg.Reports;

/// <summary>
/// One off-diagonal cell of a confusion matrix: <paramref name="Pixels"/> pixels of class <paramref name="Truth"/>
/// predicted as <paramref name="Predicted"/>, which is <paramref name="ShareOfTruth"/> (0..1) of that class's
/// ground-truth pixels.
/// </summary>
public sealed record Confusion(int Truth, int Predicted, long Pixels, double ShareOfTruth);
