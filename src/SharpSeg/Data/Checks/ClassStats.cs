namespace SharpSeg.Data.Checks;

/// <summary>
/// Pixel statistics of one class in one split. <see cref="Share"/> is the fraction (0..1) of all mask pixels,
/// ignore included. Weights are 0 for a class absent from the split.
/// </summary>
/// <param name="Index">Class index.</param>
/// <param name="Name">Class name.</param>
/// <param name="Pixels">Pixels of this class.</param>
/// <param name="Share">Pixels / all pixels of the split (0..1).</param>
/// <param name="ImagesPresent">Masks with at least one pixel of the class.</param>
/// <param name="InverseFrequencyWeight">1 / (pixels / labelled pixels), scaled so present classes average 1.</param>
/// <param name="MedianFrequencyWeight">SegNet's median-frequency balancing: median(freq) / freq(c), freq(c) = pixels of c / pixels of the images where c is present.</param>
public sealed record ClassStats(int Index, string Name, long Pixels, double Share, int ImagesPresent, double InverseFrequencyWeight, double MedianFrequencyWeight);
