using SharpSeg.Data.Synthetic;

namespace SharpSeg.Tests.Training;

/// <summary>A small generated dataset shared by the training tests (written once per test run).</summary>
public static class TrainingFixture
{
    static readonly Lazy<string> _dataset = TestPaths.SharedLazy(() =>
    {
        string dir = TestPaths.NewTempDir("synthetic-train");
        return SyntheticSceneGenerator.WriteDataset(new SyntheticSceneOptions { Train = 48, Val = 12, Width = 64, Height = 64, Seed = 3 }, dir);
    });

    /// <summary>The loss of every train record of a run folder's metrics log, in order.</summary>
    public static List<double> Losses(string run) => SharpSeg.Metrics.MetricsLog.Read(Path.Combine(run, "metrics.jsonl"))
        .Where(o => (string?)o["kind"] == "train").Select(o => (double)o["loss"]!).ToList();

    /// <summary>Path of the generated dataset.yaml (48 train / 12 val images of 64×64, 6 classes).</summary>
    public static string DatasetYaml => _dataset.Value;

    /// <summary>Recipe overrides for a tiny, fast U-Net on that dataset.</summary>
    public static string[] TinyRecipe(string dataset, int iterations, int valEvery, int seed = 1) => new[]
    {
        "data.dataset=" + dataset, "data.cache=true",
        "model.depth=2", "model.base_width=8",
        "augment.scale=[0.8, 1.2]", "augment.crop=[48, 48]", "augment.brightness=0", "augment.contrast=0", "augment.saturation=0",
        "optimizer.lr=0.01", "schedule.name=poly", "schedule.warmup_iters=0",
        $"train.iterations={iterations}", "train.batch_size=8", $"train.val_every={valEvery}", $"train.seed={seed}", "train.workers=2", "train.log_every=1",
    };

    /// <summary><paramref name="overrides"/> without the plain U-Net's <c>model.depth</c> and <c>model.base_width</c> when a
    /// later override picks another encoder (which has its published stages, and refuses those keys).</summary>
    public static string[] ForEncoder(IEnumerable<string> overrides)
    {
        var list = overrides.ToList();
        string? encoder = list.LastOrDefault(o => o.StartsWith("model.encoder=", StringComparison.Ordinal))?["model.encoder=".Length..];
        return encoder is null or "unet" ? [.. list]
            : [.. list.Where(o => !o.StartsWith("model.depth=", StringComparison.Ordinal) && !o.StartsWith("model.base_width=", StringComparison.Ordinal))];
    }
}
