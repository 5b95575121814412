using Xunit;

namespace SharpSeg.Tests;

/// <summary>
/// Masks from two backends (libtorch eager or fused, ONNX Runtime) that must agree. Exact equality is wrong on models
/// whose weights vary from run to run (trained in-process while other tests draw from the same global generator): where
/// a pixel's two best classes tie within float rounding, the backends may break the tie apart. A real fault (wrong
/// normalisation, channel order, scale, tile placement) changes far more than a few pixels.
/// </summary>
public static class LabelAgreement
{
    /// <summary>Fails when more than <paramref name="maxShare"/> of the pixels differ (or the sizes differ).</summary>
    public static void AssertNearlyEqual(byte[] expected, byte[] actual, double maxShare = 0.002, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        int differing = 0;
        for (int i = 0; i < expected.Length; i++) if (expected[i] != actual[i]) differing++;
        Assert.True(differing <= maxShare * expected.Length,
            $"{what}: {differing} of {expected.Length} pixels differ (at most {maxShare:P1} allowed for rounding ties)");
    }
}
