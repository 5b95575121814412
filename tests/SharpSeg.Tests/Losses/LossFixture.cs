using System.Text.Json;
using SharpSeg.Losses;
using static TorchSharp.torch;
using SharpSeg.Data.Checks;

namespace SharpSeg.Tests.Losses;

/// <summary>
/// Reads tests/SharpSeg.Tests/Fixtures/losses/losses.json, written once by tests/fixtures-scripts/make_loss_fixtures.py
/// with PyTorch (command in the script's header), and builds the SharpSeg loss each case describes.
/// </summary>
internal static class LossFixture
{
    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "losses", "losses.json"))).RootElement);

    public static IEnumerable<string> CaseNames => Root.Value.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    public static JsonElement Case(string name) => Root.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static float[] ClassWeights => Root.Value.GetProperty("class_weights").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    /// <summary>float64 logits and int64 targets of an input set ("multi", "binary" or "regions").</summary>
    public static (Tensor Logits, Tensor Target) Inputs(string set)
    {
        var s = Root.Value.GetProperty(set);
        long[] shape = s.GetProperty("logits_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        double[] logits = s.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        long[] target = s.GetProperty("target").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        return (tensor(logits).reshape(shape), tensor(target).reshape(shape[0], shape[2], shape[3]));
    }

    public static long[] IntArray(string property) => Root.Value.GetProperty(property).EnumerateArray().Select(v => v.GetInt64()).ToArray();

    /// <summary>The SharpSeg loss for a fixture case (its name prefix says which loss, its params the options).</summary>
    public static ISegmentationLoss Loss(string name)
    {
        var c = Case(name);
        var p = c.GetProperty("params");
        double D(string key, double fallback) => p.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool B(string key) => p.TryGetProperty(key, out var v) && v.GetBoolean();
        float[]? w = B("weights") ? ClassWeights : null;
        bool binary = name.Contains("binary");
        var mode = binary ? LossMode.Binary : LossMode.Multiclass;
        string kind = name.Split('_')[0];
        return kind switch
        {
            "ce" => new CrossEntropyLoss(w, labelSmoothing: D("label_smoothing", 0)),
            "bce" => LossFactory.Create("bce"),
            "focal" when name.StartsWith("focal_tversky") => new TverskyLoss(D("alpha", 0), D("beta", 0), D("gamma", 1), D("smooth", 1), w, mode: mode),
            "focal" => new FocalLoss(D("gamma", 2), p.TryGetProperty("alpha", out var a) ? a.GetDouble() : null, w, mode: mode),
            "dice" => new DiceLoss(D("smooth", 1), !p.TryGetProperty("per_class", out var pc) || pc.GetBoolean(), B("log_cosh"), w, mode: mode),
            "tversky" => new TverskyLoss(D("alpha", 0), D("beta", 0), 1.0, D("smooth", 1), w, mode: mode),
            "jaccard" => new JaccardLoss(D("smooth", 1), w, mode: mode),
            "lovasz" when name.StartsWith("lovasz_hinge") => new LovaszHingeLoss(B("per_image"), w),
            "lovasz" => new LovaszSoftmaxLoss(B("per_image"), B("all_classes"), w),
            "boundary" => new BoundaryCrossEntropyLoss(D("boundary_weight", 3), (int)D("width", 1), w),
            "ohem" => new OhemCrossEntropyLoss(D("thresh", 0.7), (long)D("min_kept", 0), w),
            _ => throw new InvalidOperationException($"no SharpSeg loss for fixture case '{name}'"),
        };
    }
}
