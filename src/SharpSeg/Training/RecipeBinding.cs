using System.Text.Json;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Training;

/// <summary>Turns a recipe's sections into the objects training uses (model config, optimiser, schedule, augmentation, …).</summary>
public static class RecipeBinding
{
    public static ModelConfig Model(TrainingRecipe r)
    {
        var t = r.Tree;
        return new ModelConfig
        {
            Architecture = t.GetString("model.architecture") ?? "unet",
            Encoder = t.GetString("model.encoder") ?? "unet",
            Depth = t.GetInt("model.depth"),
            BaseWidth = t.GetInt("model.base_width"),
            BatchNorm = t.GetBool("model.batch_norm"),
            Dropout = t.GetDouble("model.dropout"),
            Upsampling = t.GetString("model.upsampling") ?? "bilinear",
            Padding = t.GetString("model.padding") ?? "reflect",
        };
    }

    public static AugmentationOptions Augmentation(TrainingRecipe r)
    {
        var t = r.Tree;
        var crop = t.GetDoubleList("augment.crop");
        return new AugmentationOptions
        {
            Scale = t.GetDoubleList("augment.scale") ?? new[] { 1.0, 1.0 },
            Crop = crop?.Select(v => (int)v).ToArray(),
            Hflip = t.GetDouble("augment.hflip"),
            Vflip = t.GetDouble("augment.vflip"),
            Rotate = t.GetDouble("augment.rotate"),
            Brightness = t.GetDouble("augment.brightness"),
            Contrast = t.GetDouble("augment.contrast"),
            Saturation = t.GetDouble("augment.saturation"),
            Hue = t.GetDouble("augment.hue"),
            Blur = t.GetDouble("augment.blur"),
            Noise = t.GetDouble("augment.noise"),
        };
    }

    public static bool Cache(TrainingRecipe r, int images)
    {
        string v = (r.Tree.GetString("data.cache") ?? "auto").ToLowerInvariant();
        return v switch
        {
            "auto" => images <= 2000,
            "true" or "yes" => true,
            "false" or "no" => false,
            _ => throw new SharpSegException($"{r.Tree.Source}: data.cache must be auto, true or false, got '{v}'."),
        };
    }

    public static Normalization Normalization(TrainingRecipe r, DatasetSpec spec, IReadOnlyList<SamplePair> train, Func<SamplePair, SegmentationSample> decode)
    {
        string kind = (r.Tree.GetString("normalize") ?? "imagenet").ToLowerInvariant();
        int ch = spec.ImageChannels;
        return kind switch
        {
            "imagenet" => ch == 3 ? Data.Augmentation.Normalization.ImageNet
                : new Data.Augmentation.Normalization(new[] { Data.Augmentation.Normalization.ImageNet.Mean.Average() }, new[] { Data.Augmentation.Normalization.ImageNet.Std.Average() }),
            "dataset" => Data.Augmentation.Normalization.FromData(train.Take(200).Select(p => decode(p).Image)),
            "none" => new Data.Augmentation.Normalization(Enumerable.Repeat(0f, ch).ToArray(), Enumerable.Repeat(1f, ch).ToArray()),
            _ => throw new SharpSegException($"{r.Tree.Source}: normalize must be imagenet, dataset or none, got '{kind}'."),
        };
    }

    /// <summary>
    /// Class weights for the loss: none, a list (one per class), or computed from the training split's pixel counts
    /// (inverse / median frequency). Computed weights are stored in the run folder and reused on resume.
    /// </summary>
    public static float[]? ClassWeights(TrainingRecipe r, DatasetSpec spec, string split, string runDirectory)
    {
        object? raw = r.Tree.GetRaw("loss.class_weights");
        int classes = spec.Classes.Count;
        if (raw is null) return null;
        if (raw is List<object?>)
        {
            var list = r.Tree.GetDoubleList("loss.class_weights")!;
            if (list.Length != classes) throw new SharpSegException($"{r.Tree.Source}: loss.class_weights has {list.Length} values but the dataset has {classes} classes.");
            return list.Select(v => (float)v).ToArray();
        }
        string kind = ((string)raw).ToLowerInvariant();
        if (kind == "none") return null;
        if (kind != "inverse" && kind != "median")
            throw new SharpSegException($"{r.Tree.Source}: loss.class_weights must be none, inverse, median or a list of {classes} numbers, got '{kind}'.");
        string cache = Path.Combine(runDirectory, "class_weights.json");
        if (File.Exists(cache)) return JsonSerializer.Deserialize<float[]>(File.ReadAllText(cache));
        var stats = DataStats.Compute(spec, split).Splits[0];
        var weights = stats.Classes.Select(c => (float)(kind == "inverse" ? c.InverseFrequencyWeight : c.MedianFrequencyWeight)).ToArray();
        IO.AtomicFile.WriteAllText(cache, JsonSerializer.Serialize(weights));
        return weights;
    }

    public static optim.Optimizer Optimizer(TrainingRecipe r, nn.Module model)
    {
        var t = r.Tree;
        double lr = t.GetDouble("optimizer.lr"), wd = t.GetDouble("optimizer.weight_decay");
        return (t.GetString("optimizer.name") ?? "adamw") switch
        {
            "sgd" => optim.SGD(model.parameters(), lr, momentum: t.GetDouble("optimizer.momentum"), weight_decay: wd),
            _ => optim.AdamW(model.parameters(), lr, weight_decay: wd),
        };
    }

    public static LrSchedule Schedule(TrainingRecipe r, long totalIterations)
    {
        var t = r.Tree;
        return new LrSchedule(t.GetString("schedule.name") ?? "poly", t.GetDouble("optimizer.lr"), totalIterations,
            t.GetLong("schedule.warmup_iters"), t.GetDouble("schedule.warmup_ratio"), t.GetDouble("schedule.power"),
            t.GetDouble("schedule.min_lr"), t.GetLong("schedule.step_size"), t.GetDouble("schedule.gamma"));
    }
}
