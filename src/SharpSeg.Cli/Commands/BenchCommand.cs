using System.ComponentModel;
using System.Globalization;
using SharpSeg.Engine;
using SharpSeg.Inference;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;

namespace SharpSeg.Cli.Commands;

public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt) to time (backends eager and fused)")] public string? Checkpoint { get; init; }
        [CommandOption("--onnx <FILE>")][Description("Exported ONNX model to time with ONNX Runtime (repeat for several, e.g. fp32 and int8)")] public string[] Onnx { get; init; } = [];
        [CommandOption("--tflite <MODEL>")][Description("A TFLite model to time, rebuilt in TorchSharp and exported to ONNX Runtime (both timed): a .tflite file, or the built-in general / landscape selfie model (repeatable)")] public string[] TfLite { get; init; } = [];
        [CommandOption("--backends <LIST>")][Description("Checkpoint backends: eager, fused (BatchNorm folded + channels-last), fused-bf16 (fused, under bfloat16 autocast); default eager,fused")] public string Backends { get; init; } = "eager,fused";
        [CommandOption("--size <WxH>")][Description("Image size, WIDTHxHEIGHT, repeatable (default 480x360)")] public string[] Size { get; init; } = [];
        [CommandOption("--runs <N>")][Description("Timed runs (default 20; the median is reported)")] public int Runs { get; init; } = 20;
        [CommandOption("--warmup <N>")][Description("Untimed runs first (default 3)")] public int Warmup { get; init; } = 3;
        [CommandOption("--threads <N>")][Description("CPU threads for TorchSharp and ONNX Runtime (default: all cores)")] public int Threads { get; init; }
        [CommandOption("--peak-gflops <G>")][Description("fp32 peak to compare against (default: an estimate, threads × clock × FLOP/cycle of the widest vectors this CPU has)")] public double? PeakGflops { get; init; }
        [CommandOption("--no-flops")][Description("Skip counting MACs (GFLOP/s column)")] public bool NoFlops { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto (checkpoint backends)")] public string Device { get; init; } = "cpu";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Checkpoint == null && s.Onnx.Length == 0 && s.TfLite.Length == 0) throw new SharpSegException("--checkpoint, --onnx and/or --tflite is required.");
        if (s.Checkpoint == null && !s.Device.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase))
            throw new SharpSegException($"--device {s.Device} applies to --checkpoint backends; ONNX models run on the CPU with ONNX Runtime: drop --device or add --checkpoint.");
        var sizes = (s.Size.Length == 0 ? ["480x360"] : s.Size).Select(t => SharpSeg.Imaging.SizeSpec.Parse(t, "--size", allowSquare: false)).Select(z => (z.Width, z.Height)).ToList();
        var backends = s.Checkpoint == null ? [] : s.Backends.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(b => b.ToLowerInvariant() is "eager" or "fused" or "fused-bf16" ? b.ToLowerInvariant() : throw new SharpSegException($"--backends: '{b}' is not eager, fused or fused-bf16.")).ToList();
        TorchRuntime.SetThreads(s.Threads);
        AnsiConsole.WriteLine(TorchRuntime.Describe());
        if (s.PeakGflops is double given && !(given > 0)) throw new SharpSegException($"--peak-gflops must be positive, got {given}.");
        PeakEstimate? peak = s.PeakGflops is double p ? new PeakEstimate(p, "given with --peak-gflops")
            : InferenceBenchmark.EstimatePeak(TorchThreads(), CpuInfo.Current);
        var rows = new List<InferenceTiming>();
        var runs = backends.Select(b => (Name: b, Open: (Func<Predictor>)(() => Predictor.FromCheckpoint(s.Checkpoint!, s.Device, fused: b != "eager", bf16: b == "fused-bf16"))))
            .Concat(s.Onnx.Select(f => (Name: f, Open: (Func<Predictor>)(() => Predictor.FromOnnx(f, s.Threads)))))
            .Concat(s.TfLite.SelectMany(f => new[] { false, true }.Select(ort =>
                (Name: f, Open: (Func<Predictor>)(() => Portrait.SelfieSegmentation.OpenPredictor(f, 0, 0, onnxRuntime: ort))))));
        // Counted once per model and size: the backends of one checkpoint share it, different models (several --onnx) do not.
        var gmacs = new Dictionary<(Models.ModelConfig, double, int, int), double?>();
        foreach (var (name, open) in runs)
        {
            using var predictor = open();
            foreach (var (w, h) in sizes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // MACs come from the zoo model a checkpoint or SharpSeg export describes; an imported TFLite graph has none.
                bool zooModel = predictor.Info.Config.Architecture != "tflite";
                var key = (predictor.Info.Config, predictor.Info.InferenceScale, w, h);
                if (!gmacs.TryGetValue(key, out var g) || (g is null && zooModel)) gmacs[key] = g = s.NoFlops || !zooModel ? null : InferenceBenchmark.CountGMacs(predictor, w, h);
                if (!zooModel) g = null;
                var t = InferenceBenchmark.Run(predictor, w, h, s.Runs, s.Warmup, g);
                rows.Add(t);
                AnsiConsole.WriteLine(Line(t, peak, predictor.Info.InferenceScale));
            }
        }
        var table = new Table().AddColumns("backend", "size", "median ms", "min ms", "images/s", "GMACs", "GFLOP/s", "% of peak");
        foreach (var t in rows)
            table.AddRow(ConsoleOutput.Escape(t.Backend), $"{t.Width}x{t.Height}", F(t.MedianMs, 1), F(t.MinMs, 1), F(1000 / t.MedianMs, 2),
                t.GMacs is { } g ? F(g, 2) : "-", t.GflopsPerSecond is { } r ? F(r, 1) : "-", t.GflopsPerSecond is { } q && peak != null ? F(100 * q / peak.Gflops, 1) : "-");
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(peak != null ? $"peak fp32 {peak.Gflops:F0} GFLOP/s, {peak.Basis}" : "peak fp32 unknown (no CPU clock found): give --peak-gflops for the % of peak column");
        AnsiConsole.WriteLine($"GFLOP/s = 2 × MACs / median time (image decode excluded, normalisation and arg-max included); peak RSS {rows.Max(r => r.PeakRssBytes) / 1048576} MiB (process-wide)");
        return 0;
    }

    static int TorchThreads() => TorchSharp.torch.get_num_threads();

    static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);

    static string Line(InferenceTiming t, PeakEstimate? peak, double scale) =>
        $"{t.Backend}: {t.Width}x{t.Height} (inference scale {scale}): median {F(t.MedianMs, 1)} ms/image over {t.Runs} runs (min {F(t.MinMs, 1)}, max {F(t.MaxMs, 1)}); " +
        $"{F(1000 / t.MedianMs, 2)} images/s" + (t.GflopsPerSecond is { } r ? $"; {F(r, 1)} GFLOP/s" + (peak != null ? $" ({F(100 * r / peak.Gflops, 1)} % of an estimated {F(peak.Gflops, 0)})" : "") : "");
}
