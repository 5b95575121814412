using System.ComponentModel;
using SharpSeg.Inference;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;

namespace SharpSeg.Cli.Commands;

public sealed class ScoreCommand : Command<ScoreCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Trained checkpoint (.ckpt)")] public string? Checkpoint { get; init; }
        [CommandOption("-i|--images <PATH>")][Description("A folder of images (or a glob)")] public string? Images { get; init; }
        [CommandOption("-r|--recursive")][Description("Also score images in subfolders")] public bool Recursive { get; init; }
        [CommandOption("-o|--out <FILE>")][Description("Scores CSV to write (resumed when it exists)")] public string? Out { get; init; }
        [CommandOption("--top-share <F>")][Description("Share of most uncertain pixels averaged for the *_top columns (default 0.1)")] public double TopShare { get; init; } = UncertaintyScorer.DefaultTopShare;
        [CommandOption("--overwrite")][Description("Start afresh instead of resuming an existing file")] public bool Overwrite { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("--bf16")][Description(ModelArgument.Bf16Description)] public bool Bf16 { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Checkpoint == null) throw new SharpSegException("--checkpoint is required (a trained model, e.g. runs/my-run/best.ckpt).");
        if (s.Images == null) throw new SharpSegException("--images is required (a folder of images or a glob).");
        if (s.Out == null) throw new SharpSegException("--out is required (the scores CSV to write).");
        IO.OutputFile.Check(s.Out);
        var images = ImageCollection.Find(s.Images, s.Recursive);
        ModelArgument.WarnIfBf16Slow(s.Bf16, s.Device);
        using var predictor = Predictor.FromCheckpoint(s.Checkpoint, s.Device, bf16: s.Bf16);
        var r = ProgressRunner.Run("scoring", p => ImageScorer.Run(predictor, images, s.Out, s.TopShare, s.Overwrite, p, cancellationToken));
        foreach (var f in r.Failures) AnsiConsole.MarkupLine($"[red]skipped:[/] {ConsoleOutput.Escape(f)}");
        AnsiConsole.MarkupLine($"{r.Scored} images scored in {r.Seconds:F1} s ({(r.Seconds > 0 ? r.Scored / r.Seconds : 0):F1} images/s){(r.AlreadyDone > 0 ? $" ({r.AlreadyDone} were already there)" : "")}: {ConsoleOutput.Escape(Path.GetFullPath(s.Out))}");
        if (r.Failures.Count > 0)
        {
            Console.Error.WriteLine($"error: {r.Failures.Count} images could not be read (listed above); a rerun retries only those.");
            return ErrorReporter.UserError;
        }
        return 0;
    }
}
