using System.ComponentModel;
using System.Globalization;
using SharpSeg.Inference;
using SharpSeg.Video;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg video</c>: segment a video file frame by frame and write the rendered video (ffmpeg underneath).</summary>
public sealed class VideoCommand : Command<VideoCommand.Settings>
{
    public sealed class Settings : InferenceCommandSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt)")] public string? Checkpoint { get; init; }
        [CommandOption("-m|--model <FILE>")][Description("Exported ONNX model (.onnx, run by ONNX Runtime), a TFLite model (.tflite) or a checkpoint")] public string? Model { get; init; }
        [CommandOption("--eager")][Description("Run a checkpoint exactly as trained (default: BatchNorm folded, channels-last)")] public bool Eager { get; init; }
        [CommandOption("--bf16")][Description(ModelArgument.Bf16Description)] public bool Bf16 { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("-i|--input <VIDEO>")][Description("Video to segment (anything ffmpeg reads: .mp4, .mkv, .mov, .avi, ...)")] public string? Input { get; init; }
        [CommandOption("-o|--out <VIDEO>")][Description("Video to write (.mp4: H.264; the container follows the extension)")] public string? Out { get; init; }
        [CommandOption("--render <WHAT>")][Description("overlay (default) | color | mask (class indices, lossless) | blur-background | replace-background=IMAGE")] public string Render { get; init; } = "overlay";
        [CommandOption("--opacity <F>")][Description("Overlay opacity (default 0.5)")] public double Opacity { get; init; } = 0.5;
        [CommandOption("--every <N>")][Description("Run the model on every Nth frame, reusing its result in between (default 1)")] public int Every { get; init; } = 1;
        [CommandOption("--smooth <S>")][Description("Temporal smoothing of probabilities against flicker, 0 (off, default) to <1, e.g. 0.6")] public double Smooth { get; init; }
        [CommandOption("--foreground <CLASSES>")][Description("Classes kept sharp by the background effects, e.g. person (default: all but the first class)")] public string? Foreground { get; init; }
        [CommandOption("--working-size <PX>")][Description("Run the model on frames reduced to at most this many pixels on the longer side, results resized back (default: full resolution)")] public int? WorkingSize { get; init; }
        [CommandOption("--refine")][Description("Refine the foreground's edges with a guided filter on the frame (blur-background, replace-background)")] public bool Refine { get; init; }
        [CommandOption("--refine-radius <PX>")][Description("Guided-filter window radius with --refine (default: 1/80 of the shorter side)")] public int? RefineRadius { get; init; }
        [CommandOption("--blur-radius <PX>")][Description("Background blur radius of blur-background (default: 1/40 of the shorter side)")] public int? BlurRadius { get; init; }
        [CommandOption("--no-audio")][Description("Leave the input's sound out (by default it is copied into the written video as AAC; mask videos never carry it)")] public bool NoAudio { get; init; }
        [CommandOption("--preset <PRESET>")][Description("encoder preset of the written video: realtime (default: x264 superfast with mbtree, veryfast's file size at about 60 % of its encoding time) or an x264 preset, ultrafast | superfast | veryfast | faster | fast | medium | slow | ...; faster presets leave the cores to the model")] public string Preset { get; init; } = VideoWriter.DefaultPreset;
        [CommandOption("--copies <N>")][Description("Model copies, one frame in flight each; the CPU threads are divided between them (default: 2 on a CPU, 1 on a GPU)")] public int? Copies { get; init; }
        [CommandOption("--masks <DIR>")][Description("Also write each frame's class-index mask as DIR/frame_000001.png")] public string? Masks { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Input == null) throw new SharpSegException("--input is required: the video to segment.");
        if (s.Out == null) throw new SharpSegException("--out is required: the video to write, e.g. --out segmented.mp4.");
        IO.OutputFile.Check(s.Out);
        _ = Ffmpeg.FfmpegPath; // a missing ffmpeg is told before the model loads
        var render = VideoOptions.ParseRender(s.Render, out var backgroundImage);
        string model = ModelArgument.Resolve(s.Checkpoint, s.Model);
        ModelArgument.CheckRunOptions(model, s.Device, s.Eager, s.Bf16);
        // Decoding, rendering and encoding run beside the model: ONNX Runtime's idle threads should not spin on the cores
        // (docs/BENCHMARKS.md, "A CamVid model at 30 frames/s").
        OnnxRuntimeBackend.PreferSleepingThreads();
        var copies = Predictor.LoadCopies(model, Predictor.CopiesFor(s.Copies, s.Device), s.Device, fused: !s.Eager, bf16: s.Bf16);
        try { return Segment(s, copies, render, backgroundImage, cancellationToken); }
        finally { foreach (var p in copies) p.Dispose(); }
    }

    static int Segment(Settings s, Predictor[] copies, VideoRender render, string? backgroundImage, CancellationToken cancellationToken)
    {
        var predictor = copies[0];
        IReadOnlyList<int>? foreground = null;
        if (s.Foreground != null)
            foreground = s.Foreground.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(name =>
            {
                int k = predictor.ClassNames.ToList().IndexOf(name);
                return k >= 0 ? k : throw new SharpSegException($"--foreground '{name}' is not a class of the model; its classes: {string.Join(", ", predictor.ClassNames)}.");
            }).ToList();
        var options = new VideoOptions
        {
            Render = render, Opacity = s.Opacity, Every = s.Every, Smooth = s.Smooth, MasksFolder = s.Masks, Inference = s.ToInferenceOptions(), EncoderPreset = s.Preset, Audio = !s.NoAudio,
            Background = new()
            {
                BackgroundImage = backgroundImage, Foreground = foreground, Refine = s.Refine, RefineRadius = s.RefineRadius, BlurRadius = s.BlurRadius,
                WorkingSize = s.WorkingSize,
            },
        };
        var info = Ffmpeg.Probe(s.Input!);
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Segmenting {s.Input}: {info.Width}x{info.Height}, {info.FramesPerSecond:0.##} fps, {(info.Frames is { } n ? $"{n} frames" : "length unknown")} -> {s.Out} ({s.Render})"));
        ConsoleOutput.NoteEncodedSize(info, render == VideoRender.Mask);
        using var ctrlC = new ConsoleCancellation(cancellationToken);
        var inv = CultureInfo.InvariantCulture;
        var result = ProgressRunner.Run("segmenting video", p => VideoSegmentation.Run(copies, s.Input!, s.Out!, options,
            new Progress<VideoProgress>(v => p.Report(((int)Math.Min(int.MaxValue, v.Frames), (int)Math.Min(int.MaxValue, v.TotalFrames ?? v.Frames)))), ctrlC.Token));
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"{(result.Cancelled ? "Stopped: " : "")}{result.Frames} frames ({result.InferredFrames} through the model) in {result.Elapsed.TotalSeconds.ToString("0.0", inv)} s, "
            + $"{result.FramesPerSecond.ToString("0.00", inv)} frames/s -> {result.Output}{(result.MasksFolder != null ? $"; masks in {result.MasksFolder}" : "")}"));
        return result.Cancelled ? 130 : 0;
    }
}
