using SharpSeg.Imaging;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// Turns images into fixed-length, L2-normalised vectors whose cosine similarity says how alike two images are.
/// Implementations: <see cref="ThumbnailEmbedder"/> (training-free, for dedupe) and <see cref="EncoderEmbedder"/>
/// (pooled features of any <see cref="Models.Encoders.Encoder"/>).
/// </summary>
public interface IImageEmbedder : IDisposable
{
    /// <summary>What computes the vectors, recorded in the file header (a run resumes only with the same identity).</summary>
    string Identity { get; }

    /// <summary>Floats per vector.</summary>
    int Dim { get; }

    /// <summary>Patch grid side (0: one global vector per image).</summary>
    int Grid { get; }

    /// <summary>Channels images are decoded with (1 or 3).</summary>
    int ImageChannels { get; }

    /// <summary>Reduces a decoded image to what <see cref="Embed"/> needs (e.g. resized to the network input), so full-size
    /// images can be dropped early; called on worker threads, must be thread-safe.</summary>
    RgbImage Prepare(RgbImage image);

    /// <summary>Embeds <paramref name="images"/> into <paramref name="output"/> (<c>images.Count × Dim</c> floats, row-major),
    /// one unit-norm row per image.</summary>
    void Embed(IReadOnlyList<RgbImage> images, Span<float> output);
}
