using SharpSeg.Data.Synthetic;
using SharpSeg.Evaluation;
using SharpSeg.Inference;
using SharpSeg.Metrics;
using SharpSeg.Training;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Demo;

/// <summary>Options of the end-to-end demo; the defaults finish in a few minutes on 2 CPU cores.</summary>
public sealed record DemoOptions
{
    /// <summary>Folder the demo writes into (data/, run/, predictions/, recipe.yaml).</summary>
    public string OutDirectory { get; init; } = "sharpseg-demo";
    public int Seed { get; init; } = 7;
    /// <summary>Training epochs over the generated train split.</summary>
    public int Epochs { get; init; } = 40;
    /// <summary>Images predicted into predictions/ (taken from the val split).</summary>
    public int PredictImages { get; init; } = 4;
    /// <summary>Extra recipe overrides (key=value), applied last.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = Array.Empty<string>();
}

/// <summary>What the demo produced and where.</summary>
public sealed record DemoResult(string OutDirectory, string DatasetYaml, string RecipePath, TrainingResult Training, SegmentationMetrics Validation, IReadOnlyList<string> PredictionFiles);

/// <summary>
/// The README's main job: generate the built-in synthetic dataset, train a small U-Net on it, evaluate the best
/// checkpoint on the val split, and predict masks and overlays for a few val images.
/// </summary>
public static class DemoRunner
{
    /// <summary>The demo's recipe: a small U-Net sized for a 2-core CPU.</summary>
    public static string Recipe(int epochs, int seed) => $"""
        # SharpSeg demo recipe: a small U-Net on the built-in generated scenes.
        data:
          dataset: data/dataset.yaml
          train_split: train
          val_split: val
          cache: true
        model:
          architecture: unet
          encoder: unet
          depth: 4
          base_width: 16
          batch_norm: true
        augment:
          scale: [0.75, 1.25]
          crop: [96, 96]
          hflip: 0.5
          brightness: 0.1
          contrast: 0.1
          saturation: 0.0
        normalize: imagenet
        loss:
          name: ce
          class_weights: median   # the rare class (poles, ~1 % of pixels) needs the weight
        optimizer:
          name: adamw
          lr: 0.003
          weight_decay: 0.0001
        schedule:
          name: poly
          warmup_iters: 20
        train:
          epochs: {epochs}
          batch_size: 8
          val_every: 4
          seed: {seed}
          workers: 2
        """;

    public static DemoResult Run(DemoOptions options, IProgress<TrainingProgress>? trainingProgress = null, Action<string>? say = null, CancellationToken cancellationToken = default)
    {
        string outDir = Path.GetFullPath(options.OutDirectory);
        string runDir = Path.Combine(outDir, "run");
        if (File.Exists(Path.Combine(runDir, Trainer.LastCheckpointName)))
            throw new SharpSegException($"{outDir}: already holds a demo run; delete that folder or pass --out to another one.");
        IO.OutputFolder.Create(outDir);

        say?.Invoke($"Generating the synthetic dataset into {Path.Combine(outDir, "data")}");
        string datasetYaml = SyntheticSceneGenerator.WriteDataset(new SyntheticSceneOptions { Seed = options.Seed }, Path.Combine(outDir, "data"));

        string recipePath = Path.Combine(outDir, "recipe.yaml");
        File.WriteAllText(recipePath, Recipe(options.Epochs, options.Seed));
        var recipe = TrainingRecipe.Load(recipePath, options.Overrides);
        say?.Invoke($"Training a U-Net ({recipePath}) into {runDir}");
        var training = Trainer.Create(recipe, runDir).Run(trainingProgress, cancellationToken);

        say?.Invoke("Evaluating best.ckpt on the val split");
        var evaluation = EvaluationRunner.Run(new EvaluationRequest(training.BestCheckpoint, datasetYaml, "val"), cancellationToken: cancellationToken);
        IO.AtomicFile.WriteAllText(Path.Combine(outDir, "metrics-val.json"), evaluation.Metrics.ToJson());

        string predDir = Path.Combine(outDir, "predictions");
        say?.Invoke($"Predicting {options.PredictImages} val images into {predDir}");
        var spec = DatasetSpec.Load(datasetYaml);
        var files = new List<string>();
        using (var predictor = Predictor.FromCheckpoint(training.BestCheckpoint))
        {
            var writer = new PredictionWriter(predDir, predictor.Colours);
            foreach (var pair in spec.ResolvePairs("val").Take(options.PredictImages))
            {
                var image = predictor.LoadImage(pair.ImagePath);
                var written = writer.Write(pair.ImagePath, image, predictor.Predict(image));
                files.AddRange(new[] { written.Mask, written.Colour, written.Overlay });
            }
        }
        return new DemoResult(outDir, datasetYaml, recipePath, training, evaluation.Metrics, files);
    }
}
