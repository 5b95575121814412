namespace SharpSeg.Curation.Embedding;

/// <summary>What <see cref="EmbeddingRunner.Run"/> embeds and where it writes.</summary>
/// <param name="Images">The images (see <see cref="ImageCollection.Find"/>).</param>
/// <param name="Out">The .npy file to write (its .paths.txt and .json beside it).</param>
/// <param name="BatchSize">Images per forward pass; memory holds about two batches of decoded images.</param>
/// <param name="Overwrite">Replace an existing set instead of resuming it.</param>
/// <param name="DecodeThreads">Threads decoding images (0: the processor count).</param>
/// <param name="ImageRange">16-bit images' raw values stretched to 0..255 (a dataset's or checkpoint's <c>image_range</c>);
/// null reads them at full scale.</param>
/// <param name="Remedy">What the one-line error tells the user to do when <paramref name="Out"/> holds another set
/// (another embedder, other images, or an incomplete set); commands without <c>--overwrite</c> say their own.</param>
public sealed record EmbedOptions(ImageCollection Images, string Out, int BatchSize = 16, bool Overwrite = false, int DecodeThreads = 0,
    Imaging.IntensityRange? ImageRange = null, string Remedy = EmbedOptions.DefaultRemedy)
{
    /// <summary>The remedy of <c>sharpseg embed</c>, which has <c>--overwrite</c>.</summary>
    public const string DefaultRemedy = "use another --out, or --overwrite to replace it";
}
