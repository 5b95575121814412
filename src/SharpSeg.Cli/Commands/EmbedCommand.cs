using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;
using SharpSeg.Curation.Embedding;
using SharpSeg.Models.Encoders;
using SharpSeg.Pretrained;

namespace SharpSeg.Cli.Commands;

public sealed class EmbedCommand : Command<EmbedCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-i|--images <PATH>")][Description("A folder of images (or a glob like frames/*.jpg)")] public string? Images { get; init; }
        [CommandOption("-r|--recursive")][Description("Also embed images in subfolders")] public bool Recursive { get; init; }
        [CommandOption("-c|--checkpoint <FILE>")][Description("Embed with the encoder of a trained checkpoint (.ckpt)")] public string? Checkpoint { get; init; }
        [CommandOption("-e|--encoder <NAME>")][Description("thumbnail (training-free, for dedupe) or a zoo encoder such as resnet18")] public string? Encoder { get; init; }
        [CommandOption("--encoder-weights <W>")][Description("Weights for --encoder: imagenet (with resnet18_imagenet: the embedding curation was measured on) or a SharpSeg checkpoint (.ckpt); default: random")] public string? EncoderWeights { get; init; }
        [CommandOption("-o|--out <FILE>")][Description("Embeddings file (.npy); FILE.paths.txt and FILE.json are written beside it")] public string? Out { get; init; }
        [CommandOption("--size <PX|WxH>")][Description("Network input size, one number or WIDTHxHEIGHT (default 224): every image is resized to it")] public string Size { get; init; } = "224";
        [CommandOption("--grid <G>")][Description("Also keep a GxG grid of patch features (default 0: global vector only)")] public int Grid { get; init; }
        [CommandOption("--thumbnail-side <N>")][Description("Cells per side of the thumbnail embedding (default 16: 768 floats)")] public int ThumbnailSide { get; init; } = 16;
        [CommandOption("-b|--batch-size <N>")][Description("Images per forward pass (default 16)")] public int BatchSize { get; init; } = 16;
        [CommandOption("--overwrite")][Description("Start afresh instead of resuming an existing file")] public bool Overwrite { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("--bf16")][Description("Run the encoder under bfloat16 autocast: faster on CPUs with avx512_bf16 or amx_bf16 (sharpseg info says); vectors within bfloat16 rounding of fp32's")] public bool Bf16 { get; init; }
        [CommandOption("--image-range <LOW,HIGH>")][Description("16-bit images: raw values LOW..HIGH stretched to 0..255 (default: the checkpoint's image_range, else full scale)")] public string? ImageRange { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Images == null) throw new SharpSegException("--images is required (a folder of images or a glob).");
        if (s.Out == null) throw new SharpSegException("--out is required (the .npy file to write, e.g. embeddings.npy).");
        IO.OutputFile.Check(s.Out);
        if ((s.Checkpoint == null) == (s.Encoder == null))
            throw new SharpSegException("give either --checkpoint C (a trained model's encoder) or --encoder NAME (thumbnail, resnet18, ...), not both or neither.");
        var (w, h) = SharpSeg.Imaging.SizeSpec.Parse(s.Size, "--size");
        var images = ImageCollection.Find(s.Images, s.Recursive);
        using IImageEmbedder embedder = s.Checkpoint != null
            ? EmbeddingEncoders.FromCheckpoint(s.Checkpoint, h, w, s.Grid, s.Device, s.Bf16)
            : EmbeddingEncoders.FromName(s.Encoder!, s.EncoderWeights, h, w, s.Grid, s.Device, s.ThumbnailSide, s.Bf16);
        ModelArgument.WarnIfBf16Slow(s.Bf16, s.Device);
        if (s.Encoder != null && s.EncoderWeights == null && !s.Encoder.Equals(EmbeddingEncoders.Thumbnail, StringComparison.OrdinalIgnoreCase))
            AnsiConsole.MarkupLine("[yellow]warning:[/] no --encoder-weights: the encoder has random weights, so its embeddings mean little; use --encoder resnet18_imagenet --encoder-weights imagenet (what diversity selection was measured on), --checkpoint, or --encoder thumbnail.");
        AnsiConsole.MarkupLine($"Embedding {images.RelativePaths.Count} images from {ConsoleOutput.Escape(images.Root)} with {ConsoleOutput.Escape(embedder.Identity)} ({embedder.Dim} floats per image)");
        using var ctrlC = new ConsoleCancellation(cancellationToken);
        var range = s.ImageRange != null ? SharpSeg.Imaging.IntensityRange.Parse(s.ImageRange, "--image-range") : s.Checkpoint != null ? Checkpoint.ReadInfo(s.Checkpoint).IntensityRange : null;
        var result = ProgressRunner.Run("embedding", p => EmbeddingRunner.Run(embedder, new EmbedOptions(images, s.Out, s.BatchSize, s.Overwrite, ImageRange: range), p, ctrlC.Token));
        foreach (var f in result.Failures) AnsiConsole.MarkupLine($"[red]skipped:[/] {ConsoleOutput.Escape(f)}");
        string resumed = result.AlreadyDone > 0 ? $" ({result.AlreadyDone} were already there)" : "";
        AnsiConsole.MarkupLine($"{result.Embedded} images embedded in {result.Seconds:F1} s ({result.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture)} images/s){resumed}: {ConsoleOutput.Escape(result.Files.Data)} ({result.AlreadyDone + result.Embedded} x {result.Dim}), {ConsoleOutput.Escape(Path.GetFileName(result.Files.Paths))}, {ConsoleOutput.Escape(Path.GetFileName(result.Files.Header))}");
        if (result.Failures.Count > 0)
        {
            Console.Error.WriteLine($"error: {result.Failures.Count} of {result.Total} images could not be read (listed above); the others were embedded, and a rerun retries only the failed ones.");
            return ErrorReporter.UserError;
        }
        return 0;
    }
}
