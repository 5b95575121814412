using System.Text.Json;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Losses;
using SharpSeg.Models;
using static TorchSharp.torch;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Loading;
using SharpSeg.Data.Checks;
using SharpSeg.Models.Encoders.MixTransformer;
using SharpSeg.Pretrained;

namespace SharpSeg.Training;

/// <summary>Turns a recipe's sections into the objects training uses (model config, optimiser, schedule, augmentation, …).</summary>
public static class RecipeBinding
{
    /// <summary>The recipe's <c>model.*</c> keys (and <c>loss.aux_weight</c>) as a <see cref="ModelConfig"/>.</summary>
    public static ModelConfig Model(TrainingRecipe r)
    {
        var t = r.Tree;
        var config = new ModelConfig
        {
            Architecture = t.GetString("model.architecture") ?? "unet",
            Encoder = t.GetString("model.encoder") ?? "unet",
            Depth = t.GetInt("model.depth"),
            BaseWidth = t.GetInt("model.base_width"),
            BatchNorm = t.GetBool("model.batch_norm"),
            Dropout = t.GetDouble("model.dropout"),
            Upsampling = t.GetString("model.upsampling") ?? "bilinear",
            Padding = t.GetString("model.padding") ?? "reflect",
            OutputStride = t.Has("model.output_stride") ? t.GetInt("model.output_stride") : null,
            AuxHead = t.GetBool("model.aux_head"),
            AuxWeight = t.GetDouble("loss.aux_weight"),
            AsppRates = t.GetDoubleList("model.aspp_rates")?.Select(v => (int)v).ToArray(),
            HeadKernel = t.GetInt("model.head_kernel"),
            DropPath = t.GetDouble("model.drop_path"),
            NumQueries = t.Has("model.num_queries") ? t.GetInt("model.num_queries") : null,
            HiddenDim = t.Has("model.hidden_dim") ? t.GetInt("model.hidden_dim") : null,
            DecoderLayers = t.Has("model.decoder_layers") ? t.GetInt("model.decoder_layers") : null,
            MaskedAttention = t.GetBool("model.masked_attention"),
            DecoderStride = t.Has("model.decoder_stride") ? t.GetInt("model.decoder_stride") : null,
            EncoderDepth = t.Has("model.encoder_depth") ? t.GetInt("model.encoder_depth") : null,
            DecoderChannels = t.GetDoubleList("model.decoder_channels") is { } widths ? Widths(widths) : null,
        };
        return config;
    }

    static int[] Widths(IReadOnlyList<double> values) =>
        values.Select(v => v == Math.Floor(v) && v is >= 1 and <= int.MaxValue ? (int)v
            : throw new SharpSegException($"model.decoder_channels must be whole channel counts such as [128, 64], got {v}.")).ToArray();

    /// <summary><c>loss.effective_beta</c>'s default, read from <see cref="RecipeDefaults"/> (its one source).</summary>
    static readonly Lazy<double> DefaultEffectiveBeta =
        new(() => Configuration.ConfigTree.Parse(RecipeDefaults.Yaml, "recipe defaults").GetDouble("loss.effective_beta"));

    /// <summary>
    /// Refuses what a recipe sets that the run would ignore: a model option the chosen model does not have
    /// (<see cref="ModelConfig.RefuseOptionsTheModelIgnores"/>) and a loss option no term uses
    /// (<see cref="LossFactory.RefuseUnusedOptions"/>), and <c>loss.effective_beta</c> without <c>class_weights: effective</c>.
    /// <see cref="TrainingRecipe.Load"/> checks this; recipes stored in
    /// checkpoints are not checked, so that runs written before a check existed still resume.
    /// </summary>
    public static void RefuseIgnoredOptions(TrainingRecipe r)
    {
        try
        {
            var model = Model(r);
            model.RefuseOptionsTheModelIgnores();
            if (model.Architecture.Trim().Equals("mask2former", StringComparison.OrdinalIgnoreCase)) RefusePerPixelLossOptions(r);
            else if (r.Tree.GetRaw("loss.thing_classes") != null)
                throw new SharpSegException($"loss.thing_classes applies to architecture mask2former (one ground-truth mask per instance for its set criterion); {model.Architecture} is trained per pixel: remove loss.thing_classes.");
            if (r.Tree.GetDouble("loss.effective_beta") != DefaultEffectiveBeta.Value
                && !(r.Tree.GetRaw("loss.class_weights") is string kind && kind.Trim().Equals("effective", StringComparison.OrdinalIgnoreCase)))
                throw new SharpSegException("loss.effective_beta is set but loss.class_weights is not 'effective', so it would change nothing: remove loss.effective_beta or set loss.class_weights: effective.");
            // A cap beside class_weights: none is let be (a planned recipe sets the cap, and --set loss.class_weights=none
            // must still work on it); beside a list it would look as if it lowered the list's values, which it does not.
            if (r.Tree.GetRaw("loss.class_weight_max") != null && r.Tree.GetRaw("loss.class_weights") is List<object?>)
                throw new SharpSegException("loss.class_weight_max is set beside a list of loss.class_weights, which it does not change (it caps computed weights: inverse, median, effective): remove it (--set loss.class_weight_max=null) or lower the list's values yourself.");
            var (name, options) = LossSpec(r);
            LossFactory.RefuseUnusedOptions(name, options);
        }
        catch (SharpSegException e) when (!e.Message.StartsWith(r.Tree.Source, StringComparison.Ordinal))
        {
            throw new SharpSegException($"{r.Tree.Source}: {e.Message}");
        }
    }

    /// <summary>A mask-classification model (mask2former) is trained with its set criterion, so every <c>loss.*</c> option
    /// of the per-pixel losses would be ignored: refused unless left at its default.</summary>
    static void RefusePerPixelLossOptions(TrainingRecipe r)
    {
        var defaults = Configuration.ConfigTree.Parse(RecipeDefaults.Yaml, "recipe defaults");
        if (defaults.GetRaw("loss") is not Dictionary<string, object?> keys) return;
        foreach (var key in keys.Keys)
        {
            if (key == "thing_classes") continue; // the set criterion's own option
            string path = "loss." + key;
            if (!SameValue(r.Tree.GetRaw(path), defaults.GetRaw(path)))
                throw new SharpSegException($"{path} has no effect on architecture mask2former: it is trained with its set criterion (Hungarian matching; class CE, mask BCE and Dice, docs/MODELS.md), not a per-pixel loss; remove {path}.");
        }
    }

    static bool SameValue(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (string x, string y) => x.Trim().Equals(y.Trim(), StringComparison.OrdinalIgnoreCase)
            || (double.TryParse(x, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var dx)
                && double.TryParse(y, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var dy) && dx.Equals(dy)),
        _ => false,
    };

    /// <summary><c>loss.thing_classes</c> (mask2former): per class of <paramref name="classNames"/>, whether its connected
    /// components are separate ground-truth masks; null when unset (one mask per class).</summary>
    public static bool[]? ThingClasses(TrainingRecipe r, IReadOnlyList<string> classNames)
    {
        if (ClassesNamed(r, "loss.thing_classes", classNames) is not { } indices) return null;
        var things = new bool[classNames.Count];
        foreach (int c in indices) things[c] = true;
        return things;
    }

    /// <summary>A recipe key that lists classes (<c>[Pole, SignSymbol]</c>, <c>[2, 6]</c> or <c>Pole,SignSymbol</c>) as class
    /// indices into <paramref name="classNames"/>: each item a class name (exact, else the only one that matches
    /// ignoring case) or an index; null when the key is unset. An item that names no class is one line with the nearest name.</summary>
    internal static int[]? ClassesNamed(TrainingRecipe r, string key, IReadOnlyList<string> classNames)
    {
        object? raw = r.Tree.GetRaw(key);
        if (raw == null) return null;
        IEnumerable<object?> items = raw is List<object?> list ? list : raw is string one ? one.Split(',') : [raw];
        var indices = new List<int>();
        foreach (var item in items)
        {
            string name = (item as string ?? "").Trim();
            int c = classNames.ToList().IndexOf(name);
            if (c < 0 && classNames.Where(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList() is [var only]) c = classNames.ToList().IndexOf(only);
            if (c < 0 && int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
                c = index < classNames.Count ? index
                    : throw new SharpSegException($"{r.Tree.Source}: {key}: class index {index}, but the dataset has {classNames.Count} classes (0..{classNames.Count - 1}).");
            if (c < 0)
                throw new SharpSegException($"{r.Tree.Source}: {key}: no class '{name}' in the dataset{Configuration.NearestName.Hint(name, classNames)}; give class names or indices.");
            indices.Add(c);
        }
        return [.. indices.Distinct()];
    }

    public static AugmentationOptions Augmentation(TrainingRecipe r)
    {
        var t = r.Tree;
        var crop = t.GetDoubleList("augment.crop");
        double rareP = t.GetDouble("augment.rare_crop_p");
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
            RareCropP = rareP,
            RareClasses = rareP > 0 ? RareClasses(r) : null,
            RareShare = t.GetDouble("augment.rare_share"),
            CatMaxRatio = t.GetDouble("augment.cat_max_ratio"),
        };
    }

    /// <summary>
    /// <c>augment.rare_classes</c> as class indices: the list given (class names or indices), or for <c>auto</c> the classes
    /// present in the training split whose share of its labelled pixels is below <c>augment.rare_share</c> (this reads
    /// every training mask once).
    /// </summary>
    public static int[] RareClasses(TrainingRecipe r)
    {
        var t = r.Tree;
        if (t.GetRaw("augment.rare_classes") is string s && s.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            double share = t.GetDouble("augment.rare_share");
            var spec = DatasetSpec.Load(r.DatasetPath, r.DataRoot);
            var classes = DataStats.Compute(spec, r.TrainSplit).Splits[0].Classes;
            double labelled = classes.Sum(c => (double)c.Pixels);
            return classes.Where(c => c.Pixels > 0 && c.Pixels < share * labelled).Select(c => c.Index).ToArray();
        }
        object? raw = t.GetRaw("augment.rare_classes");
        if (raw == null) return [];
        // Indices alone need no dataset (a recipe checked on its own); names, and the range of indices, need its classes.
        var items = (raw as List<object?> ?? [raw]).Select(x => int.TryParse(x as string, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) && i <= 254 ? i : -1).ToArray();
        if (t.GetRaw("data.dataset") == null && items.All(i => i >= 0)) return items;
        return ClassesNamed(r, "augment.rare_classes", DatasetSpec.Load(r.DatasetPath, r.DataRoot).Classes.Names)!;
    }

    /// <summary><c>train.skip_nonfinite</c>: how many non-finite batches a run may skip before it stops (0 = none).</summary>
    public static int SkipNonFinite(TrainingRecipe r)
    {
        int n = r.Tree.GetInt("train.skip_nonfinite");
        if (n < 0) throw new SharpSegException($"{r.Tree.Source}: train.skip_nonfinite must be 0 or more, got {n}.");
        return n;
    }

    /// <summary><c>train.precision</c>: null for fp32, or the dtype the forward pass is autocast to (bf16).</summary>
    public static TorchSharp.torch.ScalarType? Precision(TrainingRecipe r) =>
        Engine.Autocast.ParsePrecision(r.Tree.GetString("train.precision"), $"{r.Tree.Source}: train.precision");

    /// <summary><c>train.channels_last</c>: true or false when the recipe forces it, null for auto (decided per model by
    /// <see cref="Models.Fusion.ChannelsLast.PaysForTraining"/>).</summary>
    public static bool? ChannelsLast(TrainingRecipe r) => r.Tree.GetAuto("train.channels_last");

    /// <summary><c>data.check</c> (<paramref name="setting"/>, from <see cref="CheckSetting"/>): whether training first checks every train and val file (<c>sharpseg data check</c>'s
    /// checks), so that a damaged file or an undefined mask value stops the run before it starts, all of them named at
    /// once, rather than when a batch first reaches it; auto checks up to 2000 pairs (a few seconds on 2 cores for
    /// CamVid's 468).</summary>
    public static bool Check(bool? setting, int pairs) => setting ?? pairs <= AutoCheckPairs;

    /// <summary><c>data.check</c> as written: true or false, null for auto.</summary>
    public static bool? CheckSetting(TrainingRecipe r) => r.Tree.GetAuto("data.check");

    /// <summary>The most pairs <c>data.check: auto</c> checks.</summary>
    public const int AutoCheckPairs = 2000;

    /// <summary><c>data.cache</c>: decoded samples kept in memory; auto caches up to 2000 images.</summary>
    public static bool Cache(TrainingRecipe r, int images) => r.Tree.GetAuto("data.cache") ?? images <= 2000;

    /// <summary><c>model.init_weights</c>: a whole-model weights file (.safetensors/.pth/.pt, or a training checkpoint .ckpt)
    /// resolved against the recipe's folder (a <c>--set</c> value against the current directory), or null.</summary>
    public static string? InitWeights(TrainingRecipe r) =>
        Pretrained.EncoderWeights.IsNone(r.Tree.GetString("model.init_weights")) ? null : r.ResolvePath("model.init_weights");

    /// <summary><c>model.init_strict</c>: whether every tensor of the model must come from <see cref="InitWeights"/>.</summary>
    public static bool InitStrict(TrainingRecipe r) => r.Tree.GetBool("model.init_strict");

    /// <summary><c>model.encoder_weights</c>: null for none, "imagenet", or a path resolved against the recipe's folder.</summary>
    public static string? EncoderWeights(TrainingRecipe r)
    {
        string? spec = r.Tree.GetString("model.encoder_weights");
        if (Pretrained.EncoderWeights.IsNone(spec)) return null;
        return spec!.Trim().Equals(Pretrained.EncoderWeights.ImageNet, StringComparison.OrdinalIgnoreCase)
            ? Pretrained.EncoderWeights.ImageNet : r.ResolvePath("model.encoder_weights");
    }

    /// <summary>The recipe's <c>normalize</c>; <c>imagenet</c> with pretrained <paramref name="encoderWeights"/> means the
    /// normalisation those weights were trained with (<see cref="Pretrained.EncoderWeights.ExpectedNormalization"/>), and with
    /// <paramref name="initWeights"/> from a training checkpoint, that checkpoint's.</summary>
    public static Normalization Normalization(TrainingRecipe r, DatasetSpec spec, IReadOnlyList<SamplePair> train, Func<SamplePair, SegmentationSample> decode,
        string? encoderWeights = null, string? initWeights = null)
    {
        string kind = (r.Tree.GetString("normalize") ?? "imagenet").ToLowerInvariant();
        int ch = spec.ImageChannels;
        if (!Data.Normalization.Modes.Contains(kind))
            throw new SharpSegException($"{r.Tree.Source}: normalize must be imagenet, dataset or none, got '{kind}'.");
        // The whole model from a training checkpoint (loaded last) was trained with that checkpoint's normalisation.
        if (kind == "imagenet" && initWeights != null && Pretrained.EncoderWeights.IsCheckpoint(initWeights))
            return Pretrained.EncoderWeights.ExpectedNormalization(initWeights, ch, "model.init_weights");
        if (kind == "imagenet" && encoderWeights != null) return Pretrained.EncoderWeights.ExpectedNormalization(encoderWeights, ch);
        return Data.Normalization.Resolve(kind, ch, train, p => decode(p).Image);
    }

    /// <summary><c>loss.class_weight_max</c>: null (no cap) or a positive number; anything else is the user's error
    /// (checked when the recipe loads, not only when the weights are computed).</summary>
    public static double? ClassWeightMax(TrainingRecipe r)
    {
        if (r.Tree.GetRaw("loss.class_weight_max") == null) return null;
        double m = r.Tree.GetDouble("loss.class_weight_max");
        if (!(m > 0 && double.IsFinite(m)))
            throw new SharpSegException($"{r.Tree.Source}: loss.class_weight_max must be a positive number, e.g. 10, got {m}.");
        return m;
    }

    /// <summary>
    /// Class weights for the loss: none, a list (one per class), or computed from the training split's pixel counts
    /// (inverse / median frequency, or effective number of samples with <c>loss.effective_beta</c>), lowered to
    /// <c>loss.class_weight_max</c> where set. Computed weights are stored in the run folder (class_weights.json) and
    /// reused on resume.
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
        if (!Data.Checks.ClassWeights.Kinds.Contains(kind))
            throw new SharpSegException($"{r.Tree.Source}: loss.class_weights must be none, inverse, median, effective or a list of {classes} numbers, got '{kind}'{Configuration.NearestName.Hint(kind, Data.Checks.ClassWeights.Kinds)}.");
        double beta = r.Tree.GetDouble("loss.effective_beta");
        if (kind == "effective" && !(beta >= 0 && beta < 1))
            throw new SharpSegException($"{r.Tree.Source}: loss.effective_beta must be in [0, 1), e.g. 0.9999, got {beta}.");
        double? max = ClassWeightMax(r);
        string cache = Path.Combine(runDirectory, "class_weights.json");
        if (File.Exists(cache)) return JsonSerializer.Deserialize<float[]>(File.ReadAllText(cache));
        var stats = DataStats.Compute(spec, split).Splits[0];
        var weights = Data.Checks.ClassWeights.For(kind, stats, beta, max);
        IO.AtomicFile.WriteAllText(cache, JsonSerializer.Serialize(weights));
        return weights;
    }

    /// <summary>The recipe's <c>loss.*</c> keys as <see cref="LossOptions"/> (values are checked by the losses themselves).</summary>
    public static LossOptions LossOptions(TrainingRecipe r)
    {
        var t = r.Tree;
        return new LossOptions
        {
            Weights = t.GetDoubleList("loss.weights"),
            Mode = LossFactory.ParseMode(t.GetString("loss.mode")),
            LabelSmoothing = t.GetDouble("loss.label_smoothing"),
            FocalGamma = t.GetDouble("loss.focal_gamma"),
            FocalAlpha = t.GetString("loss.focal_alpha") == null ? null : t.GetDouble("loss.focal_alpha"),
            DiceSmooth = t.GetDouble("loss.dice_smooth"),
            DicePerClass = t.GetBool("loss.dice_per_class"),
            DiceLogCosh = t.GetBool("loss.dice_log_cosh"),
            TverskyAlpha = t.GetDouble("loss.tversky_alpha"),
            TverskyBeta = t.GetDouble("loss.tversky_beta"),
            TverskyGamma = t.GetDouble("loss.tversky_gamma"),
            LovaszPerImage = t.GetBool("loss.lovasz_per_image"),
            OhemThreshold = t.GetDouble("loss.ohem_thresh"),
            OhemMinKept = t.GetDouble("loss.ohem_min_kept"),
            BoundaryWeight = t.GetDouble("loss.boundary_weight"),
            BoundaryWidth = t.GetInt("loss.boundary_width"),
        };
    }

    /// <summary>
    /// The training loss of the recipe with the given class weights: <c>loss.name</c> (possibly '+'-joined) with
    /// <c>loss.weights</c>, or, when set, <c>loss.terms</c> (a list of one-key mappings <c>{name: weight}</c>).
    /// </summary>
    public static ISegmentationLoss Loss(TrainingRecipe r, float[]? classWeights)
    {
        try
        {
            var (name, options) = LossSpec(r);
            return LossFactory.Create(name, options, classWeights);
        }
        catch (SharpSegException e) when (!e.Message.StartsWith(r.Tree.Source, StringComparison.Ordinal))
        {
            throw new SharpSegException($"{r.Tree.Source}: {e.Message}");
        }
    }

    static (string Name, LossOptions Options) LossSpec(TrainingRecipe r)
    {
        var (name, weights) = LossTerms(r);
        return (name, LossOptions(r) with { Weights = weights });
    }

    // loss.terms: [{ce: 1.0}, {dice: 0.5}] is the same as name: ce+dice, weights: [1.0, 0.5].
    static (string Name, double[]? Weights) LossTerms(TrainingRecipe r)
    {
        var t = r.Tree;
        object? raw = t.GetRaw("loss.terms");
        if (raw == null) return (t.GetString("loss.name") ?? "ce", t.GetDoubleList("loss.weights"));
        const string example = "e.g. terms: [{ce: 1.0}, {dice: 0.5}]";
        if (t.GetRaw("loss.weights") != null)
            throw new SharpSegException("loss.terms gives each term its weight: leave loss.weights unset (null) when using it.");
        if (raw is not List<object?> { Count: > 0 } items)
            throw new SharpSegException($"loss.terms must be a list of {{name: weight}}, {example}.");
        var names = new List<string>();
        var weights = new List<double>();
        foreach (var item in items)
        {
            if (item is not Dictionary<string, object?> { Count: 1 } d || d.Values.Single() is not string w
                || !double.TryParse(w, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double weight))
                throw new SharpSegException($"loss.terms: each item must be one loss name with its weight, {example}.");
            names.Add(d.Keys.Single());
            weights.Add(weight);
        }
        return (string.Join('+', names), weights.ToArray());
    }

    public static optim.Optimizer Optimizer(TrainingRecipe r, nn.Module model)
    {
        var t = r.Tree;
        double lr = t.GetDouble("optimizer.lr"), wd = t.GetDouble("optimizer.weight_decay");
        var multipliers = LearningRateMultipliers(r);
        if (multipliers.Count > 1 && model is SegmentationModel seg)
        {
            // Two parameter groups, encoder first; the trainer sets each group's rate to schedule × multiplier.
            var encoder = seg.Encoder.parameters().ToList();
            var encoderSet = new HashSet<TorchSharp.Modules.Parameter>(encoder, ReferenceEqualityComparer.Instance);
            var rest = seg.parameters().Where(p => !encoderSet.Contains(p)).ToList();
            double momentum = t.GetDouble("optimizer.momentum");
            return (t.GetString("optimizer.name") ?? "adamw") switch
            {
                "sgd" => optim.SGD(new[]
                {
                    new TorchSharp.Modules.SGD.ParamGroup(encoder, new TorchSharp.Modules.SGD.Options { LearningRate = lr * multipliers[0], momentum = momentum, weight_decay = wd }),
                    new TorchSharp.Modules.SGD.ParamGroup(rest, new TorchSharp.Modules.SGD.Options { LearningRate = lr * multipliers[1], momentum = momentum, weight_decay = wd }),
                }, lr, momentum: momentum, weight_decay: wd),
                _ => optim.AdamW(new[]
                {
                    new TorchSharp.Modules.AdamW.ParamGroup(encoder, new TorchSharp.Modules.AdamW.Options { LearningRate = lr * multipliers[0], weight_decay = wd }),
                    new TorchSharp.Modules.AdamW.ParamGroup(rest, new TorchSharp.Modules.AdamW.Options { LearningRate = lr * multipliers[1], weight_decay = wd }),
                }, lr, weight_decay: wd),
            };
        }
        return (t.GetString("optimizer.name") ?? "adamw") switch
        {
            "sgd" => optim.SGD(model.parameters(), lr, momentum: t.GetDouble("optimizer.momentum"), weight_decay: wd),
            _ => optim.AdamW(model.parameters(), lr, weight_decay: wd),
        };
    }

    /// <summary>Learning-rate multiplier of each optimiser parameter group, in order: <c>[encoder_lr_mult, 1]</c> when
    /// <c>optimizer.encoder_lr_mult</c> is not 1 (encoder group first), else <c>[1]</c> (one group, as before).</summary>
    public static IReadOnlyList<double> LearningRateMultipliers(TrainingRecipe r)
    {
        double m = r.Tree.GetDouble("optimizer.encoder_lr_mult");
        if (!(m >= 0) || double.IsInfinity(m)) throw new SharpSegException($"{r.Tree.Source}: optimizer.encoder_lr_mult must be at least 0 (e.g. 0.1), got {m}.");
        return m == 1.0 ? [1.0] : [m, 1.0];
    }

    /// <summary>Iterations during which the encoder stays fixed (weights and BatchNorm statistics): all of them with
    /// <c>model.freeze_encoder: true</c>, else <c>train.freeze_encoder_iters</c> (0: never).</summary>
    public static long FreezeEncoderIterations(TrainingRecipe r)
    {
        if (r.Tree.GetBool("model.freeze_encoder")) return long.MaxValue;
        long n = r.Tree.GetLong("train.freeze_encoder_iters");
        if (n < 0) throw new SharpSegException($"{r.Tree.Source}: train.freeze_encoder_iters must be at least 0, got {n}.");
        return n;
    }

    public static LrSchedule Schedule(TrainingRecipe r, long totalIterations)
    {
        var t = r.Tree;
        return new LrSchedule(t.GetString("schedule.name") ?? "poly", t.GetDouble("optimizer.lr"), totalIterations,
            t.GetLong("schedule.warmup_iters"), t.GetDouble("schedule.warmup_ratio"), t.GetDouble("schedule.power"),
            t.GetDouble("schedule.min_lr"), t.GetLong("schedule.step_size"), t.GetDouble("schedule.gamma"));
    }
}
