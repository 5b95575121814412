using System.ComponentModel;
using SharpSeg.Inference;
using SharpSeg.Serving;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg serve</c>: an HTTP server over a model (<see cref="SegmentationServer"/>, docs/SERVING.md).</summary>
public sealed class ServeCommand : Command<ServeCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt)")] public string? Checkpoint { get; init; }
        [CommandOption("-m|--model <FILE>")][Description("Exported ONNX model (.onnx, run by ONNX Runtime), a TFLite model (.tflite) or a checkpoint")] public string? Model { get; init; }
        [CommandOption("--host <ADDRESS>")][Description("Address to listen on: localhost (default), 0.0.0.0 for every interface (containers), or an IP")] public string Host { get; init; } = "localhost";
        [CommandOption("-p|--port <PORT>")][Description("TCP port (default 8080; 0 = any free port)")] public int Port { get; init; } = 8080;
        [CommandOption("--copies|--instances <N>")][Description("Model copies: requests segmented at once (default 1); the CPU threads are divided between them (--instances is the older name)")] public int Instances { get; init; } = 1;
        [CommandOption("--queue <N>")][Description("Requests that may wait for a free copy; more get 503 + Retry-After (default 16)")] public int Queue { get; init; } = 16;
        [CommandOption("--max-body-mb <MB>")][Description("Largest request body in MiB; larger is 413 (default 32)")] public double MaxBodyMb { get; init; } = SegmentationServerOptions.DefaultMaxBodyBytes / 1048576.0;
        [CommandOption("--eager")][Description("Run a checkpoint exactly as trained (default: BatchNorm folded, channels-last)")] public bool Eager { get; init; }
        [CommandOption("--bf16")][Description(ModelArgument.Bf16Description)] public bool Bf16 { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("--shutdown-seconds <S>")][Description("On Ctrl+C or SIGTERM, how long requests in flight may take to finish (default 30)")] public int ShutdownSeconds { get; init; } = 30;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        string model = ModelArgument.Resolve(s.Checkpoint, s.Model);
        if (!File.Exists(model)) throw new SharpSegException($"{model}: model file not found; give a .ckpt checkpoint, an exported .onnx model or a .tflite model.");
        ModelArgument.CheckRunOptions(model, s.Device, s.Eager, s.Bf16);
        if (!(s.MaxBodyMb > 0) || s.MaxBodyMb > 2048) throw new SharpSegException($"--max-body-mb {s.MaxBodyMb}: give a size in MiB between 0.001 and 2048.");
        int instances = Math.Max(1, s.Instances);
        var options = new SegmentationServerOptions(model, s.Host, s.Port, s.Instances, s.Queue, (long)(s.MaxBodyMb * 1048576), Imaging.PixelLimit.MaxPixels,
            s.Device, s.Eager, TorchThreads: Math.Max(1, Environment.ProcessorCount / instances), ShutdownSeconds: s.ShutdownSeconds, Bf16: s.Bf16);
        var server = SegmentationServer.Create(options);
        try
        {
            server.RunAsync(urls =>
            {
                foreach (var url in urls) AnsiConsole.MarkupLine($"serving {ConsoleOutput.Escape(Path.GetFileName(model))} on [bold]{ConsoleOutput.Escape(url)}[/] (web page at /, API at /v1/segment; Ctrl+C stops)");
            }, cancellationToken).GetAwaiter().GetResult();
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        AnsiConsole.MarkupLine("stopped.");
        return 0;
    }
}
