using System.ComponentModel;
using SharpSeg.Engine;
using SharpSeg.Inference;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt) to time")] public string? Checkpoint { get; init; }
        [CommandOption("--size <WxH>")][Description("Image size (default 480x360)")] public string Size { get; init; } = "480x360";
        [CommandOption("--runs <N>")][Description("Timed runs (default 20; the median is reported)")] public int Runs { get; init; } = 20;
        [CommandOption("--threads <N>")][Description("CPU threads (default: all cores)")] public int Threads { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Checkpoint == null) throw new SharpSegException("--checkpoint is required.");
        var parts = s.Size.ToLowerInvariant().Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h))
            throw new SharpSegException($"--size {s.Size}: expected WIDTHxHEIGHT, e.g. 480x360.");
        TorchRuntime.SetThreads(s.Threads);
        using var predictor = Predictor.FromCheckpoint(s.Checkpoint, s.Device);
        var t = InferenceBenchmark.Run(predictor, w, h, s.Runs);
        AnsiConsole.WriteLine(TorchRuntime.Describe());
        AnsiConsole.WriteLine($"inference {t.Width}x{t.Height} (inference scale {predictor.Info.InferenceScale}): median {t.MedianMs:F1} ms/image over {t.Runs} runs (min {t.MinMs:F1}, max {t.MaxMs:F1}); {1000 / t.MedianMs:F2} images/s; peak RSS {t.PeakRssBytes / 1048576} MiB");
        return 0;
    }
}
