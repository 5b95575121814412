using System.ComponentModel;
using System.Globalization;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Portrait;
using SharpSeg.Video;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg portrait</c>: background blur, replacement or a cut-out of the people in photos and videos, with
/// the built-in MediaPipe selfie-segmentation models (or any SharpSeg model).</summary>
public sealed class PortraitCommand : Command<PortraitCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("-i|--input <PATH>")][Description("A photo, a folder of photos, or a video (.mp4, .mov, .mkv, ...; needs ffmpeg)")] public string? Input { get; init; }
        [CommandOption("-o|--out <PATH>")][Description("Output: a .png for one photo, a folder for a folder, a video file for a video")] public string? Out { get; init; }
        [CommandOption("--effect <EFFECT>")][Description("blur (default) | replace=IMAGE | cutout (transparent PNG; photos only)")] public string Effect { get; init; } = "blur";
        [CommandOption("-m|--model <MODEL>")][Description("auto (default: landscape for frames at least 3:2 wide, else general) | general | landscape | a .tflite, .onnx or .ckpt file")] public string Model { get; init; } = "auto";
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("--no-refine")][Description("Keep the model's mask as it is (default: edges refined with a guided filter on the image)")] public bool NoRefine { get; init; }
        [CommandOption("--refine-radius <PX>")][Description("Guided-filter window radius (default: 1/80 of the shorter side)")] public int? RefineRadius { get; init; }
        [CommandOption("--blur-radius <PX>")][Description("Background blur radius (default: 1/40 of the shorter side)")] public int? BlurRadius { get; init; }
        [CommandOption("--working-size <PX>")][Description("Run the model on a copy reduced to at most this many pixels on the longer side (default 512; 0: full resolution); edges are refined at full resolution")] public int WorkingSize { get; init; } = PortraitOptions.DefaultWorkingSize;
        [CommandOption("--smooth <S>")][Description("Videos: temporal smoothing of the mask against flicker, 0 (off) to <1 (default 0.5)")] public double Smooth { get; init; } = 0.5;
        [CommandOption("--every <N>")][Description("Videos: run the model on every Nth frame (default 1)")] public int Every { get; init; } = 1;
        [CommandOption("--no-audio")][Description("Videos: leave the input's sound out (by default it is copied into the written video as AAC)")] public bool NoAudio { get; init; }
        [CommandOption("--preset <PRESET>")][Description("Videos: encoder preset of the written video, realtime (default: x264 superfast with mbtree, veryfast's file size at about 60 % of its encoding time) or an x264 preset, ultrafast | superfast | veryfast | ... | slow")] public string Preset { get; init; } = VideoWriter.DefaultPreset;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Input == null) throw new SharpSegException("--input is required: a photo, a folder of photos or a video.");
        if (s.Out == null) throw new SharpSegException("--out is required: a .png for a photo, a folder for a folder, a video file for a video.");
        var effect = PortraitOptions.Parse(s.Effect, out var background);
        var options = new PortraitOptions
        {
            Effect = effect,
            Background = new() { BackgroundImage = background, Refine = !s.NoRefine, RefineRadius = s.RefineRadius, BlurRadius = s.BlurRadius, WorkingSize = s.WorkingSize },
        };
        bool isVideo = File.Exists(s.Input) && !ImageInputs.Extensions.Contains(Path.GetExtension(s.Input).ToLowerInvariant());
        return isVideo ? Video(s, options, cancellationToken) : Photos(s, options);
    }

    static int Photos(Settings s, PortraitOptions options)
    {
        var files = ImageInputs.Resolve(s.Input!);
        bool single = files.Count == 1 && File.Exists(s.Input);
        string OutputOf(string file) => Path.GetFullPath(single ? s.Out! : Path.Combine(s.Out!, Path.GetFileNameWithoutExtension(file) + ".png"));
        // Before anything is written: two photos that would write one file (a.png, a.jpg), or a result that would
        // overwrite a photo (--out the input folder).
        var inputs = files.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            string output = OutputOf(file);
            if (outputs.TryGetValue(output, out var other))
                throw new SharpSegException($"{other} and {file} would both be written to {output}; rename one, or give them separate --out folders.");
            if (inputs.Contains(output))
                throw new SharpSegException($"{output}: the result would overwrite this input photo; choose another --out.");
            outputs[output] = file;
        }
        if (!single) SharpSeg.IO.OutputFolder.Create(s.Out!);
        var inv = CultureInfo.InvariantCulture;
        Predictor? predictor = null; string? predictorFor = null;
        try
        {
            foreach (var file in files)
            {
                var image = ImageFile.Load(file, 3);
                // auto picks per shape: reopen only when the choice changes.
                string key = s.Model.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) ? SelfieSegmentation.ChooseFor(image.Width, image.Height).ToString() : s.Model;
                if (predictorFor != key) { predictor?.Dispose(); predictor = SelfieSegmentation.OpenPredictor(s.Model, image.Width, image.Height, s.Device); predictorFor = key; }
                options.Validate(predictor!.ClassNames.Count);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var result = PortraitEffects.Apply(predictor, image, options);
                string output = OutputOf(file);
                result.Save(output);
                double person = result.Mask.Average();
                AnsiConsole.MarkupLine(ConsoleOutput.Escape($"{Path.GetFileName(file)}: {image.Width}x{image.Height}, person {(person * 100).ToString("0.0", inv)} % of the picture, "
                    + $"{clock.Elapsed.TotalMilliseconds.ToString("0", inv)} ms ({predictor.Backend.Description}) -> {output}"));
            }
        }
        finally { predictor?.Dispose(); }
        return 0;
    }

    static int Video(Settings s, PortraitOptions options, CancellationToken cancellationToken)
    {
        _ = Ffmpeg.FfmpegPath; // a missing ffmpeg is told before the model loads
        var info = Ffmpeg.Probe(s.Input!);
        var video = options.ToVideo(new VideoOptions { Smooth = s.Smooth, Every = s.Every, EncoderPreset = s.Preset, Audio = !s.NoAudio });
        // Composing a frame costs about as much as the selfie model: ONNX Runtime's idle threads should not spin on the cores.
        OnnxRuntimeBackend.PreferSleepingThreads();
        using var predictor = SelfieSegmentation.OpenPredictor(s.Model, info.Width, info.Height, s.Device);
        options.Validate(predictor.ClassNames.Count);
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"Portrait {s.Input}: {info.Width}x{info.Height}, {info.FramesPerSecond:0.##} fps, {(info.Frames is { } n ? $"{n} frames" : "length unknown")} -> {s.Out} ({s.Effect}, {predictor.Backend.Description})"));
        ConsoleOutput.NoteEncodedSize(info, false);
        using var ctrlC = new ConsoleCancellation(cancellationToken);
        var inv = CultureInfo.InvariantCulture;
        var result = ProgressRunner.Run("portrait video", p => VideoSegmentation.Run(predictor, s.Input!, s.Out!, video,
            new Progress<VideoProgress>(v => p.Report(((int)Math.Min(int.MaxValue, v.Frames), (int)Math.Min(int.MaxValue, v.TotalFrames ?? v.Frames)))), ctrlC.Token));
        AnsiConsole.MarkupLine(ConsoleOutput.Escape($"{(result.Cancelled ? "Stopped: " : "")}{result.Frames} frames in {result.Elapsed.TotalSeconds.ToString("0.0", inv)} s, "
            + $"{result.FramesPerSecond.ToString("0.00", inv)} frames/s -> {result.Output}"));
        return result.Cancelled ? 130 : 0;
    }
}
