using System.Globalization;
using System.Text;
using SharpSeg.Configuration;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// A pretraining recipe: a YAML file with the same sections as a training recipe (<c>data</c>, <c>model</c>,
/// <c>optimizer</c>, <c>schedule</c>, <c>train</c>) plus <c>pretrain</c> for the objective, and <c>--set key=value</c>
/// overrides, resolved against <see cref="PretrainOptions"/>' defaults (the one place they are decided). A key not in
/// <see cref="DefaultsYaml"/> is refused with the nearest valid key; <c>data.images</c> paths are relative to the recipe.
/// </summary>
public static class PretrainRecipe
{
    sealed record Key(string Path, string Comment, Func<PretrainOptions, object?> Get, Func<PretrainOptions, ConfigTree, string, PretrainOptions> Set);

    static Key K(string path, string comment, Func<PretrainOptions, object?> get, Func<PretrainOptions, ConfigTree, string, PretrainOptions> set) => new(path, comment, get, set);

    static readonly Key[] Keys =
    [
        K("data.images", "folders of images, image files or .txt lists (relative to this recipe); labels are not used", o => o.Images, (o, t, k) => o with { Images = Strings(t, k) }),
        K("data.image_scale", "resize images by this factor when read, e.g. 0.5 to match a recipe's training scale", o => o.ImageScale, (o, t, k) => o with { ImageScale = t.GetDouble(k) }),
        K("data.image_range", "16-bit images: [low, high] raw values stretched to 0..255, the fine-tuning dataset's image_range; null: full scale", o => o.ImageRange, (o, t, k) => o with { ImageRange = t.Has(k) ? Range(t, k) : null }),
        K("data.cache", "keep decoded images in memory: auto (up to 2000 images), true, false", o => o.Cache, (o, t, k) => o with { Cache = t.GetString(k)?.ToLowerInvariant() ?? "" }),
        K("data.normalize", "imagenet | dataset | none; recorded in the encoder checkpoint (fine-tune with the same)", o => o.Normalize, (o, t, k) => o with { Normalize = t.GetString(k)?.Trim().ToLowerInvariant() ?? "" }),
        K("model.encoder", "any encoder of `sharpseg models` (resnet18, mobilenet_v3_large, mit_b0, unet, ...)", o => o.Encoder.Encoder, (o, t, k) => o with { Encoder = o.Encoder with { Encoder = t.GetString(k) ?? "" } }),
        K("model.in_channels", "image channels: 3 (RGB) or 1 (gray)", o => o.Encoder.InChannels, (o, t, k) => o with { Encoder = o.Encoder with { InChannels = t.GetInt(k) } }),
        K("model.depth", "unet encoder only: downsampling stages", o => o.Encoder.Depth, (o, t, k) => o with { Encoder = o.Encoder with { Depth = t.GetInt(k) } }),
        K("model.base_width", "unet encoder only: channels of the first stage", o => o.Encoder.BaseWidth, (o, t, k) => o with { Encoder = o.Encoder with { BaseWidth = t.GetInt(k) } }),
        K("model.batch_norm", "unet encoder only: BatchNorm after each convolution", o => o.Encoder.BatchNorm, (o, t, k) => o with { Encoder = o.Encoder with { BatchNorm = t.GetBool(k) } }),
        K("model.encoder_weights", "start from these weights instead of random: imagenet (encoder resnet18_imagenet), a .safetensors/.pth file or a checkpoint", o => o.InitWeights, (o, t, k) => o with { InitWeights = t.GetString(k) }),
        K("pretrain.distill", "auto | weight of feature distillation from the frozen starting weights (needs model.encoder_weights); 0: off; auto: 1 with model.encoder_weights, else 0", o => (object?)o.Distill ?? "auto", (o, t, k) => o with { Distill = Distill(t, k) }),
        K("pretrain.method", "simclr | dense (SimCLR + pixel contrast between matching cells of the two views)", o => PretrainOptions.MethodName(o.Method), (o, t, k) => o with { Method = PretrainOptions.ParseMethod(t.GetString(k) ?? "") }),
        K("pretrain.crop", "view size [height, width], multiples of the encoder's output stride", o => o.Crop, (o, t, k) => o with { Crop = Crop(t, k) }),
        K("pretrain.temperature", "NT-Xent / pixel-contrast temperature", o => o.Temperature, (o, t, k) => o with { Temperature = t.GetDouble(k) }),
        K("pretrain.dense_weight", "dense: weight of the pixel term; the global term gets 1 - w", o => o.DenseWeight, (o, t, k) => o with { DenseWeight = t.GetDouble(k) }),
        K("pretrain.positive_threshold", "dense: normalised cell distance under which two cells are positives", o => o.PositiveThreshold, (o, t, k) => o with { PositiveThreshold = t.GetDouble(k) }),
        K("pretrain.projection_dim", "output width of the projection heads", o => o.ProjectionDim, (o, t, k) => o with { ProjectionDim = t.GetInt(k) }),
        K("pretrain.hidden_dim", "hidden width of the projection heads", o => o.HiddenDim, (o, t, k) => o with { HiddenDim = t.GetInt(k) }),
        K("optimizer.lr", "AdamW learning rate", o => o.Lr, (o, t, k) => o with { Lr = t.GetDouble(k) }),
        K("optimizer.weight_decay", "AdamW weight decay", o => o.WeightDecay, (o, t, k) => o with { WeightDecay = t.GetDouble(k) }),
        K("schedule.warmup_iters", "linear warmup steps before the cosine decay; null = 5 % of the budget", o => o.WarmupIters, (o, t, k) => o with { WarmupIters = t.Has(k) ? t.GetLong(k) : null }),
        K("train.iterations", "budget in optimiser steps; 0 = use train.epochs", o => o.Iterations, (o, t, k) => o with { Iterations = t.GetLong(k) }),
        K("train.epochs", "budget in passes over the images, when train.iterations is 0", o => o.Epochs, (o, t, k) => o with { Epochs = t.GetInt(k) }),
        K("train.batch_size", "images per step, two views each (at least 2)", o => o.BatchSize, (o, t, k) => o with { BatchSize = t.GetInt(k) }),
        K("train.seed", "seed of initialisation, order and augmentation", o => o.Seed, (o, t, k) => o with { Seed = t.GetLong(k) }),
        K("train.threads", "libtorch CPU threads; 0 = libtorch's default", o => o.Threads, (o, t, k) => o with { Threads = t.GetInt(k) }),
        K("train.workers", "batches prepared ahead on background threads", o => o.Workers, (o, t, k) => o with { Workers = t.GetInt(k) }),
        K("train.log_every", "a loss-log line every N steps", o => o.LogEvery, (o, t, k) => o with { LogEvery = t.GetInt(k) }),
        K("train.save_every", "a resumable checkpoint every N steps (0: only when stopped and at the end)", o => o.SaveEvery, (o, t, k) => o with { SaveEvery = t.GetInt(k) }),
        K("train.device", "cpu | cuda | auto", o => o.Device, (o, t, k) => o with { Device = t.GetString(k) ?? "cpu" }),
        K("train.precision", "fp32 | bf16 (forward passes in bfloat16, for CPUs with avx512_bf16 or amx_bf16)", o => o.Precision, (o, t, k) => o with { Precision = t.GetString(k) ?? "fp32" }),
        K("train.channels_last", "auto | true | false: views go to the encoder channels-last (auto: on for the CPU with AVX-512 and oneDNN)", o => o.ChannelsLast, (o, t, k) => o with { ChannelsLast = t.GetString(k) ?? "auto" }),
    ];

    /// <summary>Every key a pretraining recipe may hold, with <see cref="PretrainOptions"/>' defaults and a comment each
    /// (what <c>sharpseg pretrain --print-defaults</c> shows).</summary>
    public static string DefaultsYaml
    {
        get
        {
            var defaults = new PretrainOptions();
            var sb = new StringBuilder("# sharpseg pretrain --recipe FILE: every key and its default (PretrainOptions).\n");
            string? section = null;
            foreach (var key in Keys)
            {
                string[] parts = key.Path.Split('.');
                if (parts[0] != section) { section = parts[0]; sb.Append(section).Append(":\n"); }
                string line = $"  {parts[1]}: {Yaml(key.Get(defaults))}";
                sb.Append(line.PadRight(34)).Append(" # ").Append(key.Comment).Append('\n');
            }
            return sb.ToString();
        }
    }

    /// <summary>Loads a recipe file (null: defaults only), applies <paramref name="overrides"/> (<c>key=value</c>) in order,
    /// and returns the options, validated. Unknown keys and bad values are one-line <see cref="SharpSegException"/>s.</summary>
    public static PretrainOptions Load(string? path, IEnumerable<string>? overrides = null)
    {
        var defaults = ConfigTree.Parse(DefaultsYaml, "pretrain defaults");
        var tree = path == null ? defaults : ConfigTree.Load(path).OverlayOn(defaults);
        foreach (var o in overrides ?? []) tree.Set(o);
        var options = new PretrainOptions();
        foreach (var key in Keys) options = key.Set(options, tree, key.Path);
        if (path != null)
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            options = options with { Images = options.Images.Select(p => Path.GetFullPath(Path.Combine(folder, p))).ToList() };
        }
        options.Validate();
        return options;
    }

    static IReadOnlyList<string> Strings(ConfigTree tree, string key) => tree.GetRaw(key) switch
    {
        null => [],
        string s => [s],
        List<object?> list => list.Select((x, i) => x as string ?? throw new SharpSegException($"{tree.Source}: '{key}' must be a list of paths (item {i + 1} is not a path).")).ToList(),
        _ => throw new SharpSegException($"{tree.Source}: '{key}' must be a path or a list of paths."),
    };

    /// <summary><c>pretrain.distill</c>: <c>auto</c> (or null) gives null, otherwise a number.</summary>
    static double? Distill(ConfigTree tree, string key) =>
        tree.GetString(key)?.Trim().ToLowerInvariant() is null or "auto" ? null : tree.GetDouble(key);

    static int[] Range(ConfigTree tree, string key)
    {
        var v = tree.GetDoubleList(key);
        if (v is not { Length: 2 } || v.Any(x => x != Math.Floor(x)) || Imaging.IntensityRange.Problem((int)v[0], (int)v[1]) is not null)
            throw new SharpSegException($"{tree.Source}: '{key}' must be [low, high], raw 16-bit values with 0 <= low < high <= 65535, e.g. [1000, 4095].");
        return [(int)v[0], (int)v[1]];
    }

    static int[] Crop(ConfigTree tree, string key)
    {
        var v = tree.GetDoubleList(key);
        if (v is { Length: 1 }) v = [v[0], v[0]];
        if (v is not { Length: 2 } || v.Any(x => x < 1 || x != Math.Floor(x) || x > 1 << 16))
            throw new SharpSegException($"{tree.Source}: '{key}' must be [height, width] in whole pixels, e.g. [128, 128].");
        return [(int)v[0], (int)v[1]];
    }

    static string Yaml(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int[] a => "[" + string.Join(", ", a) + "]",
        IEnumerable<string> l => "[" + string.Join(", ", l) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
