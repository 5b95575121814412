using System.ComponentModel;
using SharpSeg.Inference;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;

namespace SharpSeg.Cli.Commands;

public sealed class PredictCommand : Command<PredictCommand.Settings>
{
    public sealed class Settings : InferenceCommandSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt)")] public string? Checkpoint { get; init; }
        [CommandOption("-m|--model <FILE>")][Description("Exported ONNX model (.onnx, run by ONNX Runtime) or a checkpoint")] public string? Model { get; init; }
        [CommandOption("--eager")][Description("Run a checkpoint exactly as trained (default: BatchNorm folded, channels-last; same masks, faster)")] public bool Eager { get; init; }
        [CommandOption("-i|--input <PATH>")][Description("An image, a folder of images, or a glob like photos/*.jpg")] public string? Input { get; init; }
        [CommandOption("-o|--out <DIR>")][Description("Output folder for <name>_mask.png, _color.png, _overlay.png, _summary.json")] public string? Out { get; init; }
        [CommandOption("--opacity <0..1>")][Description("Colour weight in the overlay (default 0.5)")] public double Opacity { get; init; } = 0.5;
        [CommandOption("--probabilities")][Description("Also write one 8-bit probability map per class into <name>_prob/ (memory: 4 bytes × classes × pixels)")] public bool Probabilities { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        string model = ModelArgument.Resolve(s.Checkpoint, s.Model);
        if (s.Input == null) throw new SharpSegException("--input is required (an image, a folder, or a glob).");
        if (s.Out == null) throw new SharpSegException("--out is required (the folder to write masks and overlays into).");
        var options = s.ToInferenceOptions() with { KeepProbabilities = s.Probabilities };
        ModelFile.RefuseCheckpointOnlyOptions(model, s.Device, s.Eager);
        var files = ImageInputs.Resolve(s.Input);
        using var predictor = ModelArgument.IsOnnx(model) ? Predictor.FromOnnx(model) : Predictor.FromCheckpoint(model, s.Device, fused: !s.Eager);
        var writer = new PredictionWriter(s.Out, predictor.Colours, s.Opacity, predictor.ClassNames);
        var failures = new List<string>();
        ProgressRunner.Run("predicting", progress =>
        {
            int done = 0;
            bool tilesReported = false;
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    var image = predictor.LoadImage(file);
                    // One image: the bar follows its tiles; several: it follows the images.
                    var tileProgress = files.Count == 1 ? new SyncProgress(p => { tilesReported = true; progress.Report(p); }) : null;
                    writer.Write(file, image, predictor.Infer(image, options, tileProgress, cancellationToken));
                }
                catch (SharpSegException) when (files.Count == 1)
                {
                    throw; // one input: its error is the command's one line
                }
                catch (SharpSegException e)
                {
                    failures.Add(file);
                    AnsiConsole.Console.MarkupLine($"[red]skipped:[/] {ConsoleOutput.Escape(e.Message)}");
                }
                ++done;
                if (files.Count > 1 || !tilesReported) progress.Report((done, files.Count));
            }
            return 0;
        });
        AnsiConsole.MarkupLine($"{files.Count - failures.Count} of {files.Count} images written to {ConsoleOutput.Escape(Path.GetFullPath(s.Out))} (*_mask.png class indices, *_color.png, *_overlay.png, *_summary.json{(s.Probabilities ? ", *_prob/" : "")}); peak memory {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MiB.");
        if (failures.Count > 0)
        {
            string named = string.Join(", ", failures.Take(3).Select(Path.GetFileName)) + (failures.Count > 3 ? $" and {failures.Count - 3} more" : "");
            Console.Error.WriteLine(TerminalText.Clean($"error: {failures.Count} of {files.Count} images failed ({named}; reasons listed above); the others were written."));
            return ErrorReporter.UserError;
        }
        return 0;
    }

    /// <summary>Reports synchronously (System.Progress posts to the thread pool and reorders).</summary>
    sealed class SyncProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
