using System.Text.Json.Serialization;
using SharpSeg.Models;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Everything a pretraining run needs (<c>sharpseg pretrain</c>'s options). Saved in the encoder checkpoint, so a run
/// resumes with exactly these settings. Sizes are pixels, [H, W]; a budget is <see cref="Iterations"/> or
/// <see cref="Epochs"/> (passes over the images).
/// </summary>
public sealed record PretrainOptions
{
    /// <summary>Folders of images, image files, or .txt lists of images (<see cref="UnlabelledImages.Find"/>).</summary>
    [JsonPropertyName("images")] public IReadOnlyList<string> Images { get; init; } = [];

    /// <summary>The encoder to pretrain: <see cref="ModelConfig.Encoder"/> (any <see cref="ModelZoo.Encoders"/> name),
    /// <see cref="ModelConfig.InChannels"/>, and for the plain U-Net encoder depth, base width and batch norm. The
    /// architecture and class count are not used.</summary>
    [JsonPropertyName("encoder")] public ModelConfig Encoder { get; init; } = new() { Encoder = "resnet18" };

    /// <summary>The objective: SimCLR, or SimCLR plus pixel contrast (<see cref="PretrainMethod.Dense"/>, the default: the
    /// documented default of <c>sharpseg pretrain</c> and the method measured in docs/SELF_SUPERVISED.md).</summary>
    [JsonPropertyName("method")][JsonConverter(typeof(JsonStringEnumConverter<PretrainMethod>))] public PretrainMethod Method { get; init; } = PretrainMethod.Dense;

    /// <summary>Optimiser steps; 0 = use <see cref="Epochs"/>.</summary>
    [JsonPropertyName("iterations")] public long Iterations { get; init; }

    /// <summary>Passes over all images, when <see cref="Iterations"/> is 0.</summary>
    [JsonPropertyName("epochs")] public int Epochs { get; init; } = 100;

    /// <summary>Images per step (each gives two views, so the network sees twice as many). At least 2.</summary>
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 32;

    /// <summary>View size [H, W]; multiples of the encoder's output stride.</summary>
    [JsonPropertyName("crop")] public int[] Crop { get; init; } = [128, 128];

    /// <summary>Images are resized by this factor when read (e.g. 0.5 to pretrain at the scale a recipe trains at).</summary>
    [JsonPropertyName("image_scale")] public double ImageScale { get; init; } = 1.0;

    /// <summary>[low, high]: 16-bit images' raw values stretched to 0..255, as a dataset's <c>image_range</c>
    /// (<see cref="Imaging.IntensityRange"/>); null reads them at full scale. Give the range of the dataset the encoder
    /// will be fine-tuned on.</summary>
    [JsonPropertyName("image_range")] public int[]? ImageRange { get; init; }

    /// <summary><see cref="ImageRange"/>, typed; null for full scale.</summary>
    [JsonIgnore] public Imaging.IntensityRange? IntensityRange => Imaging.IntensityRange.FromStored(ImageRange);

    /// <summary>NT-Xent and pixel-contrast temperature τ.</summary>
    [JsonPropertyName("temperature")] public double Temperature { get; init; } = 0.2;

    /// <summary>AdamW learning rate (cosine decay to 0 after a linear warmup).</summary>
    [JsonPropertyName("lr")] public double Lr { get; init; } = 1e-3;

    /// <summary>AdamW weight decay.</summary>
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Linear warmup steps; null = 5 % of the budget.</summary>
    [JsonPropertyName("warmup_iters")] public long? WarmupIters { get; init; }

    /// <summary>Output width of the projection heads.</summary>
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 128;

    /// <summary>Hidden width of the projection heads.</summary>
    [JsonPropertyName("hidden_dim")] public int HiddenDim { get; init; } = 512;

    /// <summary>Weights the encoder starts from instead of random initialisation: <c>imagenet</c> (encoder
    /// resnet18_imagenet), a .safetensors/.pth file, or an encoder or training checkpoint (as <c>model.encoder_weights</c>):
    /// in-domain pretraining continued from general-purpose weights.</summary>
    [JsonPropertyName("init_weights")] public string? InitWeights { get; init; }

    /// <summary>Weight of feature distillation from the frozen starting encoder (needs <see cref="InitWeights"/>): the
    /// loss adds w · (1 − cosine) between the student's and the frozen starting encoder's deepest feature cells of the same
    /// views, so in-domain pretraining adapts without drifting far from what the starting weights know. 0: off; null
    /// (auto, the default): <see cref="AutoDistill"/> when the run starts from weights, off from random initialisation.
    /// Resolved by <see cref="DistillWeight"/>.</summary>
    [JsonPropertyName("distill")] public double? Distill { get; init; }

    /// <summary>The distillation weight <c>auto</c> gives a run that starts from weights: 1, which gained 3.4 points of
    /// CamVid val mIoU over the ImageNet encoder alone after fine-tuning at 10 % labels, 5 of 5 seeds (1200 steps;
    /// dense pretraining without it gained 1.3, 3 of 5; docs/SELF_SUPERVISED.md).</summary>
    public const double AutoDistill = 1.0;

    /// <summary>The distillation weight this run uses: <see cref="Distill"/>, or for auto <see cref="AutoDistill"/> when
    /// <see cref="InitWeights"/> is set and 0 when it is not.</summary>
    [JsonIgnore] public double DistillWeight => Distill ?? (string.IsNullOrWhiteSpace(InitWeights) ? 0 : AutoDistill);

    /// <summary>Dense method: loss = (1 − w)·global + w·dense (DenseCL's 0.5).</summary>
    [JsonPropertyName("dense_weight")] public double DenseWeight { get; init; } = 0.5;

    /// <summary>Dense method: normalised cell distance under which two cells are positives (PixPro's 0.7).</summary>
    [JsonPropertyName("positive_threshold")] public double PositiveThreshold { get; init; } = PixelCorrespondence.DefaultThreshold;

    /// <summary><c>imagenet</c>, <c>dataset</c> (mean/std of up to 200 of the images) or <c>none</c>; recorded in the checkpoint.</summary>
    [JsonPropertyName("normalize")] public string Normalize { get; init; } = "imagenet";

    /// <summary>The view augmentation; null = the method's preset (<see cref="ViewAugmentationOptions.For"/>) at <see cref="Crop"/>.</summary>
    [JsonPropertyName("views")] public ViewAugmentationOptions? Views { get; init; }

    /// <summary>Seed of the initialisation, the image order and every view's augmentation.</summary>
    [JsonPropertyName("seed")] public long Seed { get; init; }

    /// <summary>CPU threads for libtorch (0 = its default).</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; }

    /// <summary>Batches built ahead on background threads (0 = on the training thread).</summary>
    [JsonPropertyName("workers")] public int Workers { get; init; } = 2;

    /// <summary>Keep decoded images in memory: <c>auto</c> (up to 2000 images), <c>true</c>, <c>false</c>.</summary>
    [JsonPropertyName("cache")] public string Cache { get; init; } = "auto";

    /// <summary>A loss-log line every this many steps.</summary>
    [JsonPropertyName("log_every")] public int LogEvery { get; init; } = 10;

    /// <summary>Write a resumable checkpoint every this many steps (0: only when stopped and at the end).</summary>
    [JsonPropertyName("save_every")] public int SaveEvery { get; init; } = 200;

    /// <summary><c>cpu</c>, <c>cuda</c>, <c>auto</c>.</summary>
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";

    /// <summary><c>fp32</c>, or <c>bf16</c>: forward passes under libtorch's bfloat16 autocast, losses in fp32, fp32
    /// weights (as <c>train.precision</c>, docs/TRAINING.md "Mixed precision").</summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "fp32";

    /// <summary><c>auto</c>, <c>true</c>, <c>false</c>: views go to the encoder channels-last (as <c>train.channels_last</c>,
    /// <see cref="Models.Fusion.ChannelsLast.ForTraining"/>).</summary>
    [JsonPropertyName("channels_last")] public string ChannelsLast { get; init; } = "auto";

    /// <summary>The method's command-line name: <c>simclr</c> or <c>dense</c>.</summary>
    public static string MethodName(PretrainMethod method) => method == PretrainMethod.Dense ? "dense" : "simclr";

    /// <summary>Parses <c>simclr</c> or <c>dense</c>; anything else is a <see cref="SharpSegException"/>.</summary>
    public static PretrainMethod ParseMethod(string name) => name.Trim().ToLowerInvariant() switch
    {
        "simclr" => PretrainMethod.SimClr,
        "dense" or "densecl" or "pixpro" or "pixcontrast" => PretrainMethod.Dense,
        _ => throw new SharpSegException($"unknown pretraining method '{name}': use simclr or dense."),
    };

    /// <summary>Throws a <see cref="SharpSegException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        if (Iterations < 0 || (Iterations == 0 && Epochs < 1)) throw new SharpSegException("set a budget: --iterations N or --epochs N (at least 1).");
        if (BatchSize < 2) throw new SharpSegException($"--batch-size {BatchSize}: contrastive learning needs at least 2 images per batch (other images are the negatives).");
        if (Crop is not { Length: 2 } || Crop[0] < 1 || Crop[1] < 1) throw new SharpSegException("--crop must be a positive size, e.g. 128 or 128x160.");
        if (!(ImageScale > 0 && ImageScale <= 4)) throw new SharpSegException($"--image-scale {ImageScale} must be in (0, 4].");
        if (!Imaging.IntensityRange.IsValidStored(ImageRange))
            throw new SharpSegException($"--image-range {string.Join(",", ImageRange)}: give LOW,HIGH, raw 16-bit values with 0 <= LOW < HIGH <= 65535 (the dataset's image_range).");
        if (!(Temperature > 0)) throw new SharpSegException($"--temperature {Temperature} must be positive (e.g. 0.2).");
        if (!(Lr > 0)) throw new SharpSegException($"--lr {Lr} must be positive.");
        Engine.Autocast.ParsePrecision(Precision, "--precision");
        Configuration.ConfigTree.ParseAuto(ChannelsLast, "train.channels_last");
        if (WeightDecay < 0) throw new SharpSegException($"weight decay {WeightDecay} must be at least 0.");
        if (ProjectionDim < 1 || HiddenDim < 1) throw new SharpSegException("projection and hidden widths must be at least 1.");
        if (Distill is double w && (!(w >= 0) || double.IsInfinity(w))) throw new SharpSegException($"--distill {w} must be a number ≥ 0 (0: off; leave it out for auto).");
        if (Distill > 0 && string.IsNullOrWhiteSpace(InitWeights)) throw new SharpSegException("--distill needs --encoder-weights (model.encoder_weights): it keeps the encoder close to the weights it starts from.");
        if (!string.IsNullOrWhiteSpace(InitWeights)) Pretrained.EncoderWeights.Validate(InitWeights, Encoder.Encoder.Trim().ToLowerInvariant());
        if (!(DenseWeight >= 0 && DenseWeight <= 1)) throw new SharpSegException($"--dense-weight {DenseWeight} must be in [0, 1].");
        if (!(PositiveThreshold > 0)) throw new SharpSegException($"positive threshold {PositiveThreshold} must be positive (PixPro: 0.7).");
        if (Normalize is not ("imagenet" or "dataset" or "none")) throw new SharpSegException($"--normalize '{Normalize}': use imagenet, dataset or none.");
        if (Cache is not ("auto" or "true" or "false")) throw new SharpSegException($"cache '{Cache}': use auto, true or false.");
        if (LogEvery < 1) throw new SharpSegException("log every must be at least 1 step.");
        if (SaveEvery < 0) throw new SharpSegException("save every must be at least 0 (0: only at the end).");
        if (Encoder.InChannels is not (1 or 3)) throw new SharpSegException($"--channels {Encoder.InChannels}: images are read with 1 or 3 channels.");
        Encoder.Validate();
        // model.depth / base_width / batch_norm only for the plain unet encoder; an unknown encoder is told as such (by ModelZoo) first.
        if (ModelZoo.Encoders.ContainsKey(Encoder.Encoder.Trim().ToLowerInvariant())) Encoder.RefuseOptionsTheModelIgnores();
    }
}
