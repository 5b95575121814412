namespace SharpSeg.Curation.Selection;

/// <summary>One image chosen for labelling, with what each strategy said about it when it was picked.</summary>
/// <param name="Rank">1 for the first pick.</param>
/// <param name="Row">Row in the embeddings.</param>
/// <param name="Path">Absolute image path.</param>
/// <param name="Score">The combined score that won (weighted sum of the terms, each in [0, 1]).</param>
/// <param name="Uncertainty">The model's uncertainty for it (null without scores).</param>
/// <param name="Typicality">Mean cosine similarity to its nearest neighbours (null unless typicality is used).</param>
/// <param name="Distance">Distance to the nearest labelled or previously selected image when picked (null for the first
/// pick without labelled images).</param>
/// <param name="ClassBalanceGain">How much of its predicted mask is classes still short of the target (null without scores).</param>
/// <param name="Duplicates">Near-duplicates it stands for (removed by dedupe).</param>
/// <param name="Reasons">Why it was chosen, in words, strongest reason first.</param>
public sealed record SelectedImage(int Rank, int Row, string Path, double Score, double? Uncertainty, double? Typicality, double? Distance,
    double? ClassBalanceGain, int Duplicates, string Reasons);
