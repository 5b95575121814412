using System.Globalization;
using System.Text;
using SharpSeg.Data.Checks;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Training;

/// <summary>What <see cref="RecipePlanner"/> read from a dataset's training split to plan its recipe.</summary>
/// <param name="TrainImages">Labelled training images.</param>
/// <param name="Width">Width of the median image by long side (pixels).</param>
/// <param name="Height">Its height.</param>
/// <param name="Channels">Image channels as the dataset reads them: 1 or 3.</param>
/// <param name="ClassNames">The classes, by index.</param>
/// <param name="ClassShares">Each class's share of the labelled training pixels, by class index.</param>
/// <param name="ValSplit">The split chosen to validate on, or null where the dataset has none.</param>
public sealed record DatasetFingerprint(string TrainSplit, int TrainImages, int Width, int Height, int Channels, IReadOnlyList<string> ClassNames, IReadOnlyList<double> ClassShares, string? ValSplit)
{
    /// <summary>The long side of the smallest and the largest training image (0: not known).</summary>
    public int SmallestLongSide { get; init; }
    public int LargestLongSide { get; init; }
}

/// <summary>A recipe planned for a dataset: its YAML (commented with the reasons) and the reasons as lines.</summary>
public sealed record PlannedRecipe(string Yaml, IReadOnlyList<string> Reasons, DatasetFingerprint Fingerprint);

/// <summary>
/// Plans a training recipe from what a dataset is (nnU-Net's idea of a fingerprint and rules, for 2-D images), so a new
/// dataset trains with settings that fit it rather than with another dataset's: <c>sharpseg train --data my/dataset.yaml</c>.
/// The rules, each printed with its reason:
/// <list type="bullet">
/// <item>a U-Net on the offline ImageNet ResNet-18; for two classes CE + Dice with the whole network at one learning
/// rate (as <c>configs/isbi-best.yaml</c>), for more CE with median-frequency class weights (at most
/// <see cref="ClassWeightMax"/>) and the encoder at a tenth of the rate (as <c>configs/camvid-unet-resnet18-imagenet.yaml</c>);</item>
/// <item>full resolution up to a long side of <see cref="MaxLongSide"/> (larger images are scaled to it for training and
/// evaluation alike), random scale 0.75–1.25 of that, crops of 256 × 256 (256 × 320 for wide images) or the whole image
/// where it is smaller;</item>
/// <item>a budget of about <see cref="Epochs"/> epochs, from <see cref="MinIterations"/> to <see cref="MaxIterations"/>
/// iterations, validated six times; the <c>val</c> split (or <c>valid</c>, <c>validation</c>) where there is one.</item>
/// </list>
/// Anything given with <c>--set</c> wins over the plan.
/// </summary>
public static class RecipePlanner
{
    /// <summary>The largest class weight a plan gives (<c>loss.class_weight_max</c>; the median class weighs 1).</summary>
    public const int ClassWeightMax = 10;

    /// <summary>Images whose median long side exceeds this are trained and evaluated scaled down to it.</summary>
    public const int MaxLongSide = 1024;
    public const int Epochs = 40, MinIterations = 300, MaxIterations = 2000;

    /// <summary>The splits tried, in order, to validate on.</summary>
    public static readonly IReadOnlyList<string> ValSplitNames = ["val", "valid", "validation"];

    /// <summary>Reads the training split's masks and image headers (<see cref="DataStats"/>) and plans the recipe.
    /// <paramref name="trainSplit"/> and <paramref name="valSplit"/> are the user's choice where given ("" for no validation),
    /// <paramref name="dataRoot"/> a root in place of the dataset's (<c>data.data_root</c>);
    /// <paramref name="probeBf16"/>: measure whether bf16 training pays on this CPU (<see cref="Engine.Bf16Probe"/>); false plans fp32 without measuring.</summary>
    public static PlannedRecipe Plan(string datasetPath, string? trainSplit = null, string? valSplit = null, IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default, bool probeBf16 = true, string? dataRoot = null)
    {
        var spec = DatasetSpec.Load(datasetPath, dataRoot);
        bool Labelled(string name) => spec.SplitNames.Contains(name) && !spec.GetSplit(name).IsUnlabelled;
        string train = trainSplit ?? (Labelled("train") ? "train"
            : spec.Splits.Where(s => !s.IsUnlabelled).Select(s => s.Name).FirstOrDefault()
              ?? throw new SharpSegException($"{spec.SourcePath}: no split has masks, so there is nothing to train on; give a split masks (data init --masks DIR)."));
        if (!spec.SplitNames.Contains(train))
            throw new SharpSegException($"{spec.SourcePath}: no split '{train}' (splits: {string.Join(", ", spec.SplitNames)}); give --set data.train_split=NAME.");
        if (!Labelled(train))
            throw new SharpSegException($"{spec.SourcePath}: split '{train}' has no masks, so there is nothing to train on; give a labelled split with --set data.train_split=NAME.");
        if (valSplit is { Length: > 0 } && !spec.SplitNames.Contains(valSplit))
            throw new SharpSegException($"{spec.SourcePath}: no split '{valSplit}' to validate on (splits: {string.Join(", ", spec.SplitNames)}); give --set data.val_split=NAME, or null to train without validation.");
        string? val = valSplit == "" ? null : valSplit ?? ValSplitNames.FirstOrDefault(n => n != train && Labelled(n));
        var stats = DataStats.Compute(spec, train, progress, cancellationToken).Splits[0];
        if (stats.Images == 0) throw new SharpSegException($"{spec.SourcePath}: split '{train}' has no image with a mask; check it with sharpseg data check.");
        // The median image by its long side (one scale serves all images, so it is one image's width and height).
        var sizes = stats.ImageSizes.SelectMany(s => Enumerable.Repeat((s.Width, s.Height), s.Images)).OrderBy(s => Math.Max(s.Width, s.Height)).ThenBy(s => s.Width).ToList();
        var (width, height) = sizes[sizes.Count / 2];
        double labelled = stats.Classes.Sum(c => (double)c.Pixels);
        var fingerprint = new DatasetFingerprint(train, stats.Images, width, height, spec.ImageChannels, spec.Classes.Names,
            stats.Classes.OrderBy(c => c.Index).Select(c => labelled > 0 ? c.Pixels / labelled : 0).ToList(), val)
        {
            SmallestLongSide = Math.Max(sizes[0].Width, sizes[0].Height), LargestLongSide = Math.Max(sizes[^1].Width, sizes[^1].Height),
        };
        return Plan(spec.SourcePath, fingerprint, probeBf16 ? Engine.Bf16Probe.SpeedUp : null);
    }

    /// <summary>The recipe for a dataset with this fingerprint (the rules alone, for tests and for reading);
    /// <paramref name="bf16SpeedUp"/>: how much faster bf16 training ran than fp32 on this CPU (<see cref="Engine.Bf16Probe.SpeedUp"/>;
    /// null where bfloat16 is emulated): training runs its forward pass in bf16 from <see cref="Engine.Bf16Probe.PaysFrom"/>.</summary>
    public static PlannedRecipe Plan(string datasetPath, DatasetFingerprint f, double? bf16SpeedUp)
    {
        var inv = CultureInfo.InvariantCulture;
        string F(double v) => v.ToString("0.###", inv);
        var reasons = new List<string>();

        // Resolution: full, unless the images are large.
        int longSide = Math.Max(f.Width, f.Height);
        double scale = longSide > MaxLongSide ? Math.Round((double)MaxLongSide / longSide, 3) : 1.0;
        int h = (int)Math.Round(f.Height * scale), w = (int)Math.Round(f.Width * scale);
        reasons.Add(scale < 1
            ? $"images are {f.Width} × {f.Height} (median): trained and evaluated at {F(scale)} of that ({w} × {h}), a long side of {MaxLongSide}; --set eval.scale=1 and augment.scale for full resolution (slower)"
            : $"images are {f.Width} × {f.Height} (median): trained and evaluated at full resolution");
        if (f.SmallestLongSide > 0 && f.LargestLongSide > 2 * f.SmallestLongSide)
            reasons.Add($"image sizes vary (long sides {f.SmallestLongSide} to {f.LargestLongSide}): one scale serves all; resize them alike, or set eval.scale and augment.scale for the ones that matter");

        // Crops: the whole image where it is small, else 256 × 256 (256 × 320 for wide images), at random scale 0.75–1.25.
        int Up32(int v) => (v + 31) / 32 * 32;
        int[] crop = h <= 320 && w <= 320 ? [Up32(h), Up32(w)] : w >= 1.25 * h ? [256, 320] : [256, 256];
        int batch = Math.Min(crop[0] * crop[1] <= 256 * 320 ? 8 : 4, f.TrainImages);   // the trainer takes no more than there are
        reasons.Add(h <= 320 && w <= 320
            ? $"crops of {crop[0]} × {crop[1]}: the whole image, batches of {batch}"
            : $"crops of {crop[0]} × {crop[1]} at random scale {F(0.75 * scale)}–{F(1.25 * scale)}, batches of {batch}");

        // Budget: about Epochs epochs, within [MinIterations, MaxIterations], validated six times.
        long iterations = Math.Clamp((long)Math.Ceiling((double)Epochs * f.TrainImages / batch / 50) * 50, MinIterations, MaxIterations);
        long valEvery = Math.Max(10, iterations / 6 / 10 * 10);
        double epochs = (double)iterations * batch / f.TrainImages;
        reasons.Add($"{iterations} iterations: {F(Math.Round(epochs, 1))} epochs of {f.TrainImages} training images (--set train.iterations=N for more or fewer)");
        reasons.Add(f.ValSplit != null
            ? $"validated on '{f.ValSplit}' every {valEvery} iterations: best.ckpt is the best of those"
            : "no validation split: best.ckpt is the last; make one (split 'val' in the dataset.yaml) to choose and to report honestly");

        // Loss and learning rates, from the two recipes measured here: two classes as configs/isbi-best.yaml (CE + Dice, the
        // whole network at one rate); more as configs/camvid-unet-resnet18-imagenet.yaml (CE with median-frequency class
        // weights, the encoder at a tenth of the rate). CE + Dice without weights on CamVid left five classes at 0 IoU
        // after 900 iterations (docs/BENCHMARKS.md, "A recipe planned for your data"). The weights are capped at
        // ClassWeightMax: uncapped, a class rare within its images weighs far more than the rest (59× the median on CamVid
        // relabelled Other / Road / Bicyclist) and is painted where it is not (Bicyclist IoU 46 % at 99 % recall).
        var small = f.ClassShares.Select((s, i) => (s, i)).Where(c => c.s > 0 && c.s < 0.01).Select(c => c.i).ToList();
        var absent = f.ClassShares.Select((s, i) => (s, i)).Where(c => c.s == 0).Select(c => c.i).ToList();
        string Names(List<int> classes) => string.Join(", ", classes.Select(c => c < f.ClassNames.Count ? f.ClassNames[c] : c.ToString(inv)));
        bool binary = f.ClassShares.Count(share => share > 0) <= 2;
        string gray = f.Channels == 1 ? "gray images through its summed first layer" : "RGB";
        reasons.Add(binary
            ? $"a U-Net on the ImageNet ResNet-18 (offline weights; {gray}), the whole network at one learning rate"
            : $"a U-Net on the ImageNet ResNet-18 (offline weights; {gray}), the encoder at a tenth of the decoder's learning rate");
        reasons.Add(binary
            ? "loss CE + Dice, no class weights: two classes"
            : $"loss CE with median-frequency class weights, at most {ClassWeightMax} (a class weighted far above the others is painted where it is not): {f.ClassShares.Count(share => share > 0)} classes" + (small.Count > 0 ? $", {small.Count} of them under 1 % of the pixels ({Names(small)}), which plain CE leaves unpainted" : ""));
        if (absent.Count > 0)
            reasons.Add($"{Names(absent)}: never in '{f.TrainSplit}', so the model cannot learn {(absent.Count == 1 ? "it" : "them")}");
        // bf16 where it was measured faster here: the CPU flag does not tell (an Intel Xeon with avx512_bf16 and no AMX
        // trains 1.3× slower in bf16; AMD Zen 4 1.6–1.9× faster).
        bool bf16 = bf16SpeedUp >= Engine.Bf16Probe.PaysFrom;
        if (bf16SpeedUp is { } speedUp)
            reasons.Add(bf16
                ? $"precision bf16: bfloat16 convolutions ran {speedUp.ToString("0.0", inv)}× as fast as fp32 on this CPU (a probe; the same CamVid mIoU: docs/TRAINING.md); --set train.precision=fp32 to turn it off"
                : $"precision fp32: this CPU has bfloat16 instructions, but bf16 convolutions ran at {speedUp.ToString("0.00", inv)}× fp32's speed here (a probe; docs/TRAINING.md); --set train.precision=bf16 to use it anyway");

        var y = new StringBuilder();
        y.AppendLine($"# Planned by 'sharpseg train --data' for {datasetPath}:");
        foreach (var r in reasons) y.AppendLine($"#   {r}");
        y.AppendLine("data:");
        y.AppendLine($"  dataset: {Quote(datasetPath)}");
        y.AppendLine($"  train_split: {Quote(f.TrainSplit)}");
        y.AppendLine($"  val_split: {(f.ValSplit == null ? "null" : Quote(f.ValSplit))}");
        y.AppendLine("model:");
        y.AppendLine("  architecture: unet");
        y.AppendLine("  encoder: resnet18_imagenet");
        y.AppendLine("  encoder_weights: imagenet");
        y.AppendLine("augment:");
        y.AppendLine($"  scale: [{F(0.75 * scale)}, {F(1.25 * scale)}]");
        y.AppendLine($"  crop: [{crop[0]}, {crop[1]}]");
        y.AppendLine("  hflip: 0.5");
        y.AppendLine("  brightness: 0.2");
        y.AppendLine("  contrast: 0.2");
        y.AppendLine($"  saturation: {(f.Channels == 1 ? "0.0" : "0.2")}");
        y.AppendLine("normalize: imagenet");
        y.AppendLine("loss:");
        y.AppendLine(binary ? "  name: ce+dice   # weights null: 1 each" : $"  name: ce\n  class_weights: median\n  class_weight_max: {ClassWeightMax}");
        y.AppendLine("optimizer:");
        y.AppendLine("  name: adamw");
        y.AppendLine(binary ? "  lr: 0.001" : "  lr: 0.002\n  encoder_lr_mult: 0.1");
        y.AppendLine("  weight_decay: 0.0001");
        y.AppendLine("  grad_clip: 5.0");
        y.AppendLine("schedule:");
        y.AppendLine("  name: poly");
        y.AppendLine($"  warmup_iters: {Math.Min(100, iterations / 10)}");
        y.AppendLine("eval:");
        y.AppendLine($"  scale: {F(scale)}");
        y.AppendLine("train:");
        y.AppendLine($"  iterations: {iterations}");
        y.AppendLine($"  batch_size: {batch}");
        y.AppendLine($"  val_every: {valEvery}");
        if (bf16) y.AppendLine("  precision: bf16");
        return new PlannedRecipe(y.ToString(), reasons, f);
    }

    static string Quote(string s) => Configuration.YamlText.Quote(s);
}
