using System.Globalization;

namespace SharpSeg.Inference;

/// <summary>
/// Test-time augmentation: the network is run on every combination of <see cref="Scales"/> × (unflipped, and
/// horizontally flipped when <see cref="HorizontalFlip"/>); each run's logits are mapped back to the input's geometry
/// (un-flipped, resized bilinearly), turned into softmax probabilities, and the probabilities averaged (arithmetic mean).
/// </summary>
/// <param name="HorizontalFlip">Also run on the left-right mirrored input.</param>
/// <param name="Scales">Resize factors applied to the input (on top of the checkpoint's inference scale); 1 = as is.</param>
public sealed record TestTimeAugmentation(bool HorizontalFlip, IReadOnlyList<double> Scales)
{
    /// <summary>No augmentation: one run at scale 1.</summary>
    public static TestTimeAugmentation None { get; } = new(false, new[] { 1.0 });

    /// <summary>Network runs per input (scales × flips).</summary>
    public int Runs => Scales.Count * (HorizontalFlip ? 2 : 1);

    /// <summary>True when this is a single unflipped run at scale 1.</summary>
    public bool IsIdentity => !HorizontalFlip && Scales.Count == 1 && Scales[0] == 1.0;

    /// <summary>Throws a one-line <see cref="SharpSegException"/> when a scale is not in (0, 8].</summary>
    public void Validate()
    {
        if (Scales.Count == 0) throw new SharpSegException("--tta-scales: give at least one scale (e.g. 0.75,1,1.25).");
        foreach (double s in Scales)
            if (!(s > 0 && s <= 8)) throw new SharpSegException($"--tta-scales: scale {s.ToString(CultureInfo.InvariantCulture)} must be greater than 0 and at most 8.");
    }

    /// <summary>Parses a comma-separated list such as <c>0.75,1,1.25</c> (invariant culture); a bad list is a one-line error.</summary>
    public static IReadOnlyList<double> ParseScales(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new SharpSegException($"--tta-scales '{text}': give comma-separated scales such as 0.75,1,1.25.");
        var scales = new List<double>();
        foreach (var p in parts)
        {
            if (!double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double s))
                throw new SharpSegException($"--tta-scales '{text}': '{p}' is not a number; give comma-separated scales such as 0.75,1,1.25.");
            scales.Add(s);
        }
        var tta = new TestTimeAugmentation(false, scales);
        tta.Validate();
        return scales;
    }
}
