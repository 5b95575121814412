namespace SharpSeg.Models;

/// <summary>One buildable (architecture, encoder) pair of <see cref="ModelZoo"/>, with the smallest configuration
/// of it (for smoke tests and quick checks).</summary>
public sealed record ModelZooEntry(string Architecture, string Encoder, ModelConfig TinyConfig)
{
    /// <summary>"architecture/encoder", e.g. "unet/unet".</summary>
    public string Name => $"{Architecture}/{Encoder}";

    public override string ToString() => Name;
}
