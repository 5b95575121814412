namespace SharpSeg.SelfSupervised;

/// <summary>
/// Settings of a linear probe (<see cref="LinearProbe"/>): a 1×1 convolution trained on frozen encoder features.
/// </summary>
public sealed record LinearProbeOptions
{
    /// <summary>The encoder probed when no weights file names one (<c>sharpseg probe --encoder</c>).</summary>
    public const string DefaultEncoder = "resnet18";

    /// <summary>Adam steps of the 1×1 head.</summary>
    public int Iterations { get; init; } = 300;

    /// <summary>Adam learning rate, decayed to 0 along a cosine (features are standardised per channel, so one rate fits every encoder).</summary>
    public double Lr { get; init; } = 0.01;

    /// <summary>Images per step, drawn at random; at least the number of training images: all of them every step.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Which encoder feature map to probe: an index into the encoder's maps, or −1 for the deepest.</summary>
    public int Stage { get; init; } = -1;

    /// <summary>Images (and masks) are resized by this factor before the encoder; metrics are computed at that size.</summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>Seed of the order in which images are drawn.</summary>
    public long Seed { get; init; }

    /// <summary>Checks the values; a bad one is a <see cref="SharpSegException"/>.</summary>
    public void Validate()
    {
        if (Iterations < 1) throw new SharpSegException($"probe iterations {Iterations} must be at least 1.");
        if (!(Lr > 0)) throw new SharpSegException($"probe learning rate {Lr} must be positive.");
        if (BatchSize < 1) throw new SharpSegException($"probe batch size {BatchSize} must be at least 1.");
        if (!(Scale > 0 && Scale <= 4)) throw new SharpSegException($"probe scale {Scale} must be in (0, 4].");
    }
}
