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
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-i|--images <DIR>")][Description("Folder of images, an image, or a .txt list of images (repeatable); labels are not used")] public string[] Images { get; init; } = [];
        [CommandOption("-e|--encoder <NAME>")][Description("Encoder to pretrain: resnet18/34/50/101, mobilenet_v2, mobilenet_v3_large, unet (default resnet18)")] public string Encoder { get; init; } = "resnet18";
        [CommandOption("--depth <N>")][Description("unet encoder: downsampling stages (default 4)")] public int Depth { get; init; } = 4;
        [CommandOption("--base-width <N>")][Description("unet encoder: channels of the first stage (default 32)")] public int BaseWidth { get; init; } = 32;
        [CommandOption("--channels <N>")][Description("Image channels: 3 (RGB) or 1 (gray) (default 3)")] public int Channels { get; init; } = 3;
        [CommandOption("-m|--method <METHOD>")][Description("simclr | dense (SimCLR + pixel contrast between matching cells of the two views; default)")] public string Method { get; init; } = "dense";
        [CommandOption("--iterations <N>")][Description("Budget in optimiser steps")] public long Iterations { get; init; }
        [CommandOption("--epochs <N>")][Description("Budget in passes over the images (default 100 when --iterations is not given)")] public int Epochs { get; init; }
        [CommandOption("-b|--batch-size <N>")][Description("Images per step, two views each (default 32)")] public int BatchSize { get; init; } = 32;
        [CommandOption("--crop <SIZE>")][Description("View size: 128, or HEIGHTxWIDTH (height first, unlike --size elsewhere; as augment.crop), multiples of the encoder's output stride (default 128)")] public string Crop { get; init; } = "128";
        [CommandOption("--image-scale <F>")][Description("Resize images by this factor when read, e.g. 0.5 to match a recipe's training scale (default 1)")] public double ImageScale { get; init; } = 1.0;
        [CommandOption("--temperature <T>")][Description("NT-Xent / pixel-contrast temperature (default 0.2)")] public double Temperature { get; init; } = 0.2;
        [CommandOption("--lr <LR>")][Description("AdamW learning rate, cosine schedule (default 0.001)")] public double Lr { get; init; } = 1e-3;
        [CommandOption("--weight-decay <WD>")][Description("AdamW weight decay (default 0.0001)")] public double WeightDecay { get; init; } = 1e-4;
        [CommandOption("--dense-weight <W>")][Description("dense: weight of the pixel term, global term gets 1 - W (default 0.5)")] public double DenseWeight { get; init; } = 0.5;
        [CommandOption("--normalize <MODE>")][Description("imagenet | dataset | none (default imagenet; fine-tune with the same)")] public string Normalize { get; init; } = "imagenet";
        [CommandOption("--seed <N>")][Description("Seed of initialisation, order and augmentation (default 0)")] public long Seed { get; init; }
        [CommandOption("--threads <N>")][Description("libtorch CPU threads (default: libtorch's)")] public int Threads { get; init; }
        [CommandOption("--workers <N>")][Description("Batches prepared ahead on background threads (default 2)")] public int Workers { get; init; } = 2;
        [CommandOption("--save-every <N>")][Description("Write a resumable checkpoint every N steps (default 200)")] public int SaveEvery { get; init; } = 200;
        [CommandOption("--log-every <N>")][Description("A loss-log line every N steps (default 10)")] public int LogEvery { get; init; } = 10;
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("-o|--out <FILE>")][Description("Encoder checkpoint to write, e.g. encoder.ckpt (the loss log goes beside it as .jsonl)")] public string? Out { get; init; }
        [CommandOption("--resume <FILE>")][Description("Continue a stopped run from its encoder checkpoint")] public string? Resume { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        Pretrainer pretrainer;
        if (s.Resume != null)
        {
            if (s.Out != null || s.Images.Length > 0) throw new SharpSegException("--resume continues a run with its own saved options: do not also give --out or --images.");
            pretrainer = Pretrainer.Resume(s.Resume);
            AnsiConsole.MarkupLine($"Resuming [bold]{ConsoleOutput.Escape(pretrainer.CheckpointPath)}[/]");
        }
        else
        {
            if (s.Images.Length == 0) throw new SharpSegException("--images is required: a folder of images (repeatable), e.g. --images data/train/images --images data/val/images.");
            if (s.Out == null) throw new SharpSegException("--out is required: the encoder checkpoint to write, e.g. --out encoder.ckpt.");
            var size = SharpSeg.Imaging.SizeSpec.ParseHeightByWidth(s.Crop, "--crop");
            int[] crop = [size.Height, size.Width];
            var options = new PretrainOptions
            {
                Images = s.Images,
                Encoder = new ModelConfig { Encoder = s.Encoder, InChannels = s.Channels, Depth = s.Depth, BaseWidth = s.BaseWidth },
                Method = PretrainOptions.ParseMethod(s.Method),
                Iterations = s.Iterations,
                Epochs = s.Iterations > 0 ? 0 : s.Epochs > 0 ? s.Epochs : 100,
                BatchSize = s.BatchSize, Crop = crop, ImageScale = s.ImageScale, Temperature = s.Temperature, Lr = s.Lr, WeightDecay = s.WeightDecay,
                DenseWeight = s.DenseWeight, Normalize = s.Normalize.Trim().ToLowerInvariant(), Seed = s.Seed, Threads = s.Threads, Workers = s.Workers,
                SaveEvery = s.SaveEvery, LogEvery = s.LogEvery, Device = s.Device,
            };
            pretrainer = Pretrainer.Create(options, s.Out);
            var o = pretrainer.Options;
            AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Pretraining {o.Encoder.Encoder} with {PretrainOptions.MethodName(o.Method)}: views {crop[0]}x{crop[1]}, batch {o.BatchSize}, " +
                (o.Iterations > 0 ? $"{o.Iterations} iterations" : $"{o.Epochs} epochs") + $", lr {o.Lr:g3}, temperature {o.Temperature:g3}"));
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
