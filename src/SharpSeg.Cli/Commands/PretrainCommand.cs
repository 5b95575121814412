using System.ComponentModel;
using System.Globalization;
using SharpSeg.Models;
using SharpSeg.SelfSupervised;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Cli.Commands;

public sealed class PretrainCommand : Command<PretrainCommand.Settings>
{
    /// <summary>Options left out are null and take the recipe's values, or <see cref="PretrainOptions"/>'s defaults
    /// (<see cref="ToOptions"/>), so the library is the one place that decides them; the "(default …)" texts repeat them for --help.</summary>
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-r|--recipe <FILE>")][Description("Pretraining recipe (YAML, sections data/model/pretrain/optimizer/schedule/train); the options below override it. Every key: sharpseg pretrain --print-defaults")] public string? Recipe { get; init; }
        [CommandOption("--set <KEY=VALUE>")][Description("Override a recipe key, e.g. --set pretrain.temperature=0.1 (repeatable)")] public string[] Set { get; init; } = [];
        [CommandOption("--print-defaults")][Description("Print every recipe key with its default, and exit")] public bool PrintDefaults { get; init; }
        [CommandOption("-i|--images <DIR>")][Description("Folder of images, an image, or a .txt list of images (repeatable); labels are not used")] public string[] Images { get; init; } = [];
        [CommandOption("-e|--encoder <NAME>")][Description("Encoder to pretrain: resnet18/34/50/101, mobilenet_v2, mobilenet_v3_large, unet (default resnet18)")] public string? Encoder { get; init; }
        [CommandOption("--depth <N>")][Description("unet encoder: downsampling stages (default 4)")] public int? Depth { get; init; }
        [CommandOption("--base-width <N>")][Description("unet encoder: channels of the first stage (default 32)")] public int? BaseWidth { get; init; }
        [CommandOption("--channels <N>")][Description("Image channels: 3 (RGB) or 1 (gray) (default 3)")] public int? Channels { get; init; }
        [CommandOption("-m|--method <METHOD>")][Description("simclr | dense (SimCLR + pixel contrast between matching cells of the two views; default)")] public string? Method { get; init; }
        [CommandOption("--iterations <N>")][Description("Budget in optimiser steps")] public long? Iterations { get; init; }
        [CommandOption("--epochs <N>")][Description("Budget in passes over the images (default 100 when --iterations is not given)")] public int? Epochs { get; init; }
        [CommandOption("-b|--batch-size <N>")][Description("Images per step, two views each (default 32)")] public int? BatchSize { get; init; }
        [CommandOption("--crop <SIZE>")][Description("View size: 128, or HEIGHTxWIDTH (height first, unlike --size elsewhere; as augment.crop), multiples of the encoder's output stride (default 128)")] public string? Crop { get; init; }
        [CommandOption("--image-range <LOW,HIGH>")][Description("16-bit images: raw values LOW..HIGH stretched to 0..255, the fine-tuning dataset's image_range (default: full scale)")] public string? ImageRange { get; init; }
        [CommandOption("--image-scale <F>")][Description("Resize images by this factor when read, e.g. 0.5 to match a recipe's training scale (default 1)")] public double? ImageScale { get; init; }
        [CommandOption("--temperature <T>")][Description("NT-Xent / pixel-contrast temperature (default 0.2)")] public double? Temperature { get; init; }
        [CommandOption("--lr <LR>")][Description("AdamW learning rate, cosine schedule (default 0.001)")] public double? Lr { get; init; }
        [CommandOption("--weight-decay <WD>")][Description("AdamW weight decay (default 0.0001)")] public double? WeightDecay { get; init; }
        [CommandOption("--encoder-weights <W>")][Description("Start from these weights: imagenet (with --encoder resnet18_imagenet), a .safetensors/.pth file, or a checkpoint (default: random init)")] public string? EncoderWeights { get; init; }
        [CommandOption("--distill <W>")][Description("Weight of feature distillation from the frozen starting weights, keeping in-domain pretraining close to them (needs --encoder-weights; 0: off; default auto: 1 with --encoder-weights, which with about 1000 steps gained 3.4 points on CamVid, and 0 without; docs/SELF_SUPERVISED.md)")] public double? Distill { get; init; }
        [CommandOption("--dense-weight <W>")][Description("dense: weight of the pixel term, global term gets 1 - W (default 0.5)")] public double? DenseWeight { get; init; }
        [CommandOption("--normalize <MODE>")][Description("imagenet | dataset | none (default imagenet; fine-tune with the same)")] public string? Normalize { get; init; }
        [CommandOption("--precision <P>")][Description("fp32 | bf16: forward passes in bfloat16, 1.5-1.9x faster on CPUs with avx512_bf16 or amx_bf16 (default fp32)")] public string? Precision { get; init; }
        [CommandOption("--seed <N>")][Description("Seed of initialisation, order and augmentation (default 0)")] public long? Seed { get; init; }
        [CommandOption("--threads <N>")][Description("libtorch CPU threads (default: libtorch's)")] public int? Threads { get; init; }
        [CommandOption("--workers <N>")][Description("Batches prepared ahead on background threads (default 2)")] public int? Workers { get; init; }
        [CommandOption("--save-every <N>")][Description("Write a resumable checkpoint every N steps (default 200)")] public int? SaveEvery { get; init; }
        [CommandOption("--log-every <N>")][Description("A loss-log line every N steps (default 10)")] public int? LogEvery { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto (default cpu)")] public string? Device { get; init; }
        [CommandOption("-o|--out <FILE>")][Description("Encoder checkpoint to write, e.g. encoder.ckpt (the loss log goes beside it as .jsonl)")] public string? Out { get; init; }
        [CommandOption("--resume <FILE>")][Description("Continue a stopped run from its encoder checkpoint")] public string? Resume { get; init; }
    }

    /// <summary>The run's options: what the command line gives, over the recipe (<see cref="PretrainRecipe"/>: the file and
    /// --set), over <see cref="PretrainOptions"/>'s defaults. A positive --iterations is the budget (epochs 0); --epochs 0
    /// or less keeps the recipe's epochs. --images adds to the recipe's data.images.</summary>
    public static PretrainOptions ToOptions(Settings s)
    {
        var d = s.Recipe != null || s.Set.Length > 0 ? PretrainRecipe.Load(s.Recipe, s.Set) : new PretrainOptions();
        int[] crop = d.Crop;
        if (s.Crop != null)
        {
            var size = SharpSeg.Imaging.SizeSpec.ParseHeightByWidth(s.Crop, "--crop");
            crop = [size.Height, size.Width];
        }
        long iterations = s.Iterations ?? d.Iterations;
        return d with
        {
            Images = [.. d.Images, .. s.Images],
            Encoder = d.Encoder with
            {
                Encoder = s.Encoder ?? d.Encoder.Encoder, InChannels = s.Channels ?? d.Encoder.InChannels,
                Depth = s.Depth ?? d.Encoder.Depth, BaseWidth = s.BaseWidth ?? d.Encoder.BaseWidth,
            },
            Method = s.Method != null ? PretrainOptions.ParseMethod(s.Method) : d.Method,
            Iterations = iterations,
            Epochs = iterations > 0 ? 0 : s.Epochs is > 0 ? s.Epochs.Value : d.Epochs,
            BatchSize = s.BatchSize ?? d.BatchSize, Crop = crop, ImageScale = s.ImageScale ?? d.ImageScale, ImageRange = s.ImageRange == null ? d.ImageRange : ParseRange(s.ImageRange),
            Temperature = s.Temperature ?? d.Temperature, Lr = s.Lr ?? d.Lr, WeightDecay = s.WeightDecay ?? d.WeightDecay,
            DenseWeight = s.DenseWeight ?? d.DenseWeight, InitWeights = s.EncoderWeights ?? d.InitWeights, Distill = s.Distill ?? d.Distill, Normalize = s.Normalize?.Trim().ToLowerInvariant() ?? d.Normalize,
            Seed = s.Seed ?? d.Seed, Threads = s.Threads ?? d.Threads, Workers = s.Workers ?? d.Workers,
            SaveEvery = s.SaveEvery ?? d.SaveEvery, LogEvery = s.LogEvery ?? d.LogEvery, Device = s.Device ?? d.Device,
            Precision = s.Precision ?? d.Precision,
        };
    }

    /// <summary>--image-range LOW,HIGH as the options record it.</summary>
    static int[] ParseRange(string text)
    {
        var range = SharpSeg.Imaging.IntensityRange.Parse(text, "--image-range");
        return [range.Low, range.High];
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.PrintDefaults) { Console.Write(PretrainRecipe.DefaultsYaml); return 0; }
        Pretrainer pretrainer;
        if (s.Resume != null)
        {
            if (s.Out != null || s.Images.Length > 0 || s.Recipe != null || s.Set.Length > 0)
                throw new SharpSegException("--resume continues a run with its own saved options: do not also give --out, --images, --recipe or --set.");
            pretrainer = Pretrainer.Resume(s.Resume);
            AnsiConsole.MarkupLine($"Resuming [bold]{ConsoleOutput.Escape(pretrainer.CheckpointPath)}[/]");
        }
        else
        {
            if (s.Out == null) throw new SharpSegException("--out is required: the encoder checkpoint to write, e.g. --out encoder.ckpt.");
            var options = ToOptions(s);
            if (options.Images.Count == 0) throw new SharpSegException("no images: give --images (a folder of images, repeatable, e.g. --images data/train/images) or data.images in the recipe.");
            pretrainer = Pretrainer.Create(options, s.Out);
            var o = pretrainer.Options;
            AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Pretraining {o.Encoder.Encoder} with {PretrainOptions.MethodName(o.Method)}: views {o.Crop[0]}x{o.Crop[1]}, batch {o.BatchSize}, " +
                (o.Iterations > 0 ? $"{o.Iterations} iterations" : $"{o.Epochs} epochs") + $", lr {o.Lr:g3}, temperature {o.Temperature:g3}"
                + (o.DistillWeight > 0 ? $", distillation from the starting weights (weight {o.DistillWeight:g3})" : "")));
        }
        using var ctrlC = new ConsoleCancellation(cancellationToken);
        try
        {
            var result = TrainingReporter.Run("pretraining", p => pretrainer.Run(p, ctrlC.Token));
            AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Done in {result.Elapsed:hh\\:mm\\:ss}: {result.Iterations} iterations on {result.Images} images, {result.ImagesPerSecond:F1} images/s (two views each); loss {result.FirstLoss:F3} -> {result.FinalLoss:F3}."));
            AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Encoder: {result.CheckpointPath}  (train with --set model.encoder_weights={result.CheckpointPath})"));
            AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Loss log: {result.LogPath}"));
            return 0;
        }
        catch (OperationCanceledException) when (ctrlC.ByCtrlC)
        {
            AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Stopped; continue with: sharpseg pretrain --resume {pretrainer.CheckpointPath}"));
            return 130;
        }
    }
}
