using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SharpSeg.Imaging;
using SharpSeg.Inference;

namespace SharpSeg.Video;

/// <summary>What a segmented video shows.</summary>
public enum VideoRender
{
    /// <summary>Class colours over the frame at <see cref="VideoOptions.Opacity"/>.</summary>
    Overlay,
    /// <summary>The colour mask alone.</summary>
    Color,
    /// <summary>Class indices as gray values (R = G = B = class), losslessly encoded so the values survive.</summary>
    Mask,
    /// <summary>The foreground sharp over a blurred background (video-call style).</summary>
    BlurBackground,
    /// <summary>The foreground over <see cref="BackgroundEffect.BackgroundImage"/>.</summary>
    ReplaceBackground,
}

/// <summary>How <see cref="VideoSegmentation"/> segments a stream of frames.</summary>
public sealed record VideoOptions
{
    public VideoRender Render { get; init; } = VideoRender.Overlay;

    /// <summary>Overlay opacity in [0, 1].</summary>
    public double Opacity { get; init; } = 0.5;

    /// <summary>Run the model on every Nth frame and reuse its result for the frames between (1: every frame).</summary>
    public int Every { get; init; } = 1;

    /// <summary>Temporal smoothing against flicker: probabilities p ← s·p_previous + (1 − s)·p_frame, so 0 is off and
    /// 0.6 keeps 60 % of the past.</summary>
    public double Smooth { get; init; }

    /// <summary>Also write each frame's class-index mask as <c>DIR/frame_000001.png</c>.</summary>
    public string? MasksFolder { get; init; }

    /// <summary>Tiling and test-time augmentation, as for still images.</summary>
    public InferenceOptions Inference { get; init; } = InferenceOptions.Default;

    /// <summary>The background effects' settings (<see cref="VideoRender.BlurBackground"/>,
    /// <see cref="VideoRender.ReplaceBackground"/>): foreground classes, the replacing picture, edge refinement (off by
    /// default), blur; and the working size, which every render uses (default: full resolution).</summary>
    public BackgroundEffect Background { get; init; } = new();

    /// <summary>The encoder preset of the written video (<see cref="VideoWriter.Presets"/>; default
    /// <see cref="VideoWriter.RealTimePreset"/>): faster presets leave more of the cores to the model.</summary>
    public string EncoderPreset { get; init; } = VideoWriter.DefaultPreset;

    /// <summary>Copy the input's sound into the written video (AAC; not into mask videos, which hold class indices).</summary>
    public bool Audio { get; init; } = true;

    /// <summary>Frames held in each queue between decoding, inference and encoding (memory bound: about 3 × this many frames).</summary>
    public int Queue { get; init; } = 4;

    public static VideoRender ParseRender(string text, out string? backgroundImage)
    {
        backgroundImage = null;
        string t = text.Trim();
        if (t.StartsWith("replace-background=", StringComparison.OrdinalIgnoreCase)) { backgroundImage = t["replace-background=".Length..]; return VideoRender.ReplaceBackground; }
        return t.ToLowerInvariant() switch
        {
            "overlay" => VideoRender.Overlay,
            "color" or "colour" => VideoRender.Color,
            "mask" => VideoRender.Mask,
            "blur-background" or "blur" => VideoRender.BlurBackground,
            "replace-background" => throw new SharpSegException("--render replace-background needs the picture: --render replace-background=beach.jpg."),
            _ => throw new SharpSegException($"--render '{text}' is not known: use overlay, color, mask, blur-background or replace-background=IMAGE."),
        };
    }

    public void Validate(int classes)
    {
        if (Every < 1) throw new SharpSegException($"--every {Every}: must be at least 1.");
        if (!(Smooth >= 0 && Smooth < 1)) throw new SharpSegException($"--smooth {Smooth}: must be in [0, 1) (0 = off).");
        if (!(Opacity >= 0 && Opacity <= 1)) throw new SharpSegException($"--opacity {Opacity}: must be between 0 and 1.");
        if (Queue < 1) throw new ArgumentOutOfRangeException(nameof(Queue));
        VideoWriter.CheckPreset(EncoderPreset);
        Background.Validate(classes, Render == VideoRender.ReplaceBackground, "--render replace-background=IMAGE");
        Inference.Validate();
    }
}

/// <summary>One segmented frame: the frame and the model's result for it at the working size (<see cref="Reduced"/>, with
/// smoothed probabilities when smoothing is on), from which <see cref="Mask"/> and <see cref="Probabilities"/> at the
/// frame's size are made on first use. Frames between inferred ones (<see cref="VideoOptions.Every"/>) share the last
/// result.</summary>
public sealed class SegmentedFrame
{
    readonly Lazy<InferenceResult> _full;

    internal SegmentedFrame(long index, RgbImage frame, ReducedInference reduced, Lazy<InferenceResult> full, bool inferred)
    {
        Index = index; Frame = frame; Reduced = reduced; _full = full; Inferred = inferred;
    }

    public long Index { get; }
    public RgbImage Frame { get; }

    /// <summary>The model's result at the working size (the frame's size when there is no working size).</summary>
    public ReducedInference Reduced { get; }

    /// <summary>True for a frame the model ran on; false for one that reuses the last result.</summary>
    public bool Inferred { get; }

    /// <summary>The class per pixel at the frame's size.</summary>
    public LabelMask Mask => _full.Value.Mask;

    /// <summary>The (smoothed) class probabilities <c>[C, H, W]</c> at the frame's size, when smoothing or a background
    /// effect needs them; else null.</summary>
    public float[]? Probabilities => _full.Value.Probabilities;
}

/// <summary>Progress of a video run.</summary>
public sealed record VideoProgress(long Frames, long? TotalFrames, double FramesPerSecond, TimeSpan Elapsed)
{
    public TimeSpan? Remaining => TotalFrames is { } t && FramesPerSecond > 0 && t >= Frames ? TimeSpan.FromSeconds((t - Frames) / FramesPerSecond) : null;
}

/// <summary>The outcome of <c>VideoSegmentation.Run</c>.</summary>
public sealed record VideoResult(string Output, long Frames, long InferredFrames, bool Cancelled, TimeSpan Elapsed, VideoInfo Input, string? MasksFolder)
{
    public double FramesPerSecond => Frames / Math.Max(1e-9, Elapsed.TotalSeconds);
}

/// <summary>
/// Segments streams of frames with a <see cref="Predictor"/>, or several copies of one (<c>sharpseg video</c>). <c>SegmentAsync</c> is the
/// library form, frames in and masks out through bounded queues (decoding runs beside inference); <c>Run</c>
/// reads a video file with ffmpeg and writes the rendered video, decoding ∥ inference ∥ encoding, in memory bounded by
/// the queues whatever the video's length. Cancelled, it stops reading and finishes the file with the frames done, so
/// the output is always playable.
/// </summary>
public static class VideoSegmentation
{
    public static IAsyncEnumerable<SegmentedFrame> SegmentAsync(Predictor predictor, IAsyncEnumerable<RgbImage> frames, VideoOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        return SegmentAsync([predictor], frames, options, cancellationToken);
    }

    /// <summary>
    /// Segments frames with several copies of one model, one frame in flight per copy (<c>sharpseg video --copies</c>):
    /// on a few cores, two frames each on one thread keep the cores busier than one frame on two threads, since parts of
    /// a small network's graph run on one thread. Frames come out in order, and smoothing and <see cref="VideoOptions.Every"/>
    /// give exactly what one copy gives. The copies must be distinct <see cref="Predictor"/>s of the same model.
    /// </summary>
    public static IAsyncEnumerable<SegmentedFrame> SegmentAsync(IReadOnlyList<Predictor> predictors, IAsyncEnumerable<RgbImage> frames, VideoOptions options,
        CancellationToken cancellationToken = default)
    {
        Predictor.RequireDistinctCopies(predictors, nameof(predictors));
        ArgumentNullException.ThrowIfNull(frames);
        options.Validate(predictors[0].ClassNames.Count);
        return Segment(predictors, frames, options, cancellationToken);
    }

    static async IAsyncEnumerable<SegmentedFrame> Segment(IReadOnlyList<Predictor> predictors, IAsyncEnumerable<RgbImage> frames, VideoOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var predictor = predictors[0];
        var queue = Channel.CreateBounded<RgbImage>(new BoundedChannelOptions(options.Queue) { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var f in frames.WithCancellation(cancellationToken)) await queue.Writer.WriteAsync(f, cancellationToken);
                queue.Writer.Complete();
            }
            catch (Exception e) { queue.Writer.Complete(e); }
        }, CancellationToken.None);
        bool needProbabilities = options.Smooth > 0 || options.Render is VideoRender.BlurBackground or VideoRender.ReplaceBackground;
        var inference = options.Inference with { KeepProbabilities = needProbabilities };
        float[]? smoothed = null;
        ReducedInference? last = null;
        Lazy<InferenceResult>? lastFull = null;
        // Frames in order, each with the inference started for it (null: it reuses the last result). The k-th inference
        // runs on copy k mod n, and at most n run at once, so a copy is free again when its turn comes.
        var pending = new Queue<(long Index, RgbImage Frame, Task<ReducedInference>? Inference)>();
        long index = 0, started = 0;
        int inFlight = 0, previousWidth = -1, previousHeight = -1;

        SegmentedFrame Finish((long Index, RgbImage Frame, Task<ReducedInference>? Inference) item)
        {
            if (item.Inference is { } task)
            {
                inFlight--;
                var reduced = task.GetAwaiter().GetResult();
                if (reduced.Result.Probabilities is { } p && options.Smooth > 0)
                {
                    // p is this frame's own array: blend into it, so arrays already handed out never change. The
                    // average is taken at the working size: it is linear, so it commutes with resizing back.
                    if (smoothed is not null && smoothed.Length == p.Length)
                    {
                        float s = (float)options.Smooth;
                        for (int i = 0; i < p.Length; i++) p[i] = s * smoothed[i] + (1 - s) * p[i];
                    }
                    smoothed = p;
                    var r = reduced.Result;
                    reduced = reduced with { Result = r with { Mask = LabelMask.ArgMax(p, r.Classes, reduced.Image.Width, reduced.Image.Height) } };
                }
                last = reduced;
                lastFull = new Lazy<InferenceResult>(() => reduced.ToFullSize(needProbabilities));
            }
            return new SegmentedFrame(item.Index, item.Frame, last!, lastFull!, item.Inference != null);
        }

        try
        {
            while (await queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                while (queue.Reader.TryRead(out var frame))
                {
                    bool infer = index == 0 || index % options.Every == 0 || frame.Width != previousWidth || frame.Height != previousHeight;
                    previousWidth = frame.Width; previousHeight = frame.Height;
                    Task<ReducedInference>? task = null;
                    if (infer)
                    {
                        while (inFlight == predictors.Count)
                        {
                            var item = pending.Dequeue();
                            if (item.Inference != null) await item.Inference.ConfigureAwait(false);
                            yield return Finish(item);
                        }
                        var copy = predictors[(int)(started++ % predictors.Count)];
                        var input = frame.WithChannels(predictor.Info.ImageChannels);
                        task = predictors.Count == 1
                            ? Task.FromResult(WorkingResolution.InferReduced(copy, input, inference, options.Background.ModelSize, cancellationToken))
                            : Task.Run(() => WorkingResolution.InferReduced(copy, input, inference, options.Background.ModelSize, cancellationToken), cancellationToken);
                        inFlight++;
                    }
                    pending.Enqueue((index++, frame, task));
                    // Frames go out as soon as their inference is done (at once with one copy, which runs it inline); a frame
                    // that reuses a result is first in line only when every inference before it is done.
                    while (pending.Count > 0 && pending.Peek().Inference is null or { IsCompleted: true })
                        yield return Finish(pending.Dequeue());
                }
            while (pending.Count > 0)
            {
                var item = pending.Dequeue();
                if (item.Inference != null) await item.Inference.ConfigureAwait(false);
                yield return Finish(item);
            }
        }
        finally
        {
            // A stopped enumeration still waits for the inferences it started: the caller may dispose the copies next.
            foreach (var item in pending)
                if (item.Inference != null) try { await item.Inference.ConfigureAwait(false); } catch { }
        }
        await reader.ConfigureAwait(false);
    }

    /// <summary>Segments <paramref name="input"/> into <paramref name="output"/> (and per-frame masks when asked).</summary>
    public static VideoResult Run(Predictor predictor, string input, string output, VideoOptions options, IProgress<VideoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        return Run([predictor], input, output, options, progress, cancellationToken);
    }

    /// <summary>Segments <paramref name="input"/> into <paramref name="output"/> with one frame in flight per model copy
    /// (see <see cref="SegmentAsync(IReadOnlyList{Predictor}, IAsyncEnumerable{RgbImage}, VideoOptions, CancellationToken)"/>).</summary>
    public static VideoResult Run(IReadOnlyList<Predictor> predictors, string input, string output, VideoOptions options, IProgress<VideoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Predictor.RequireDistinctCopies(predictors, nameof(predictors));
        var predictor = predictors[0];
        options.Validate(predictor.ClassNames.Count);
        if (Path.GetFullPath(input) == Path.GetFullPath(output)) throw new SharpSegException($"{output}: the output would overwrite the input video; choose another --out.");
        using var reader = new VideoReader(input);
        var info = reader.Info;
        var background = options.Render == VideoRender.ReplaceBackground ? Backdrop.Of(Compositing.Cover(ImageFile.Load(options.Background.BackgroundImage!, 3), info.Width, info.Height)) : null;
        var foreground = options.Background.ForegroundOf(predictor.ClassNames.Count);
        if (options.MasksFolder != null) IO.OutputFolder.Create(options.MasksFolder);
        var clock = Stopwatch.StartNew();
        long frames = 0, inferred = 0;
        bool cancelled = false;
        using var writer = new VideoWriter(output, info.Width, info.Height, info.FramesPerSecond, lossless: options.Render == VideoRender.Mask, preset: options.EncoderPreset,
            audioFrom: options.Audio && options.Render != VideoRender.Mask && Ffmpeg.HasAudio(input) ? input : null);
        // Rendering runs with encoding, beside the model working on the next frames.
        var encode = Channel.CreateBounded<SegmentedFrame>(new BoundedChannelOptions(options.Queue) { SingleReader = true, SingleWriter = true });
        var buffers = new FrameBuffers(info.Width * info.Height * 3);
        var encoder = Task.Run(async () =>
        {
            try
            {
                await foreach (var f in encode.Reader.ReadAllAsync(CancellationToken.None))
                {
                    var rendered = Render(f, options, predictor, foreground, background, buffers);
                    writer.Write(rendered);
                    // The arrays go back unless something still reads them: a frame the model ran on at full size is its
                    // own reduced image, which the frames after it read with --every.
                    var kept = f.Reduced.Image.Pixels;
                    if (!ReferenceEquals(rendered.Pixels, kept)) buffers.Return(rendered.Pixels);
                    if (!ReferenceEquals(f.Frame.Pixels, kept) && !ReferenceEquals(f.Frame.Pixels, rendered.Pixels)) buffers.Return(f.Frame.Pixels);
                }
            }
            catch (Exception failure)
            {
                // Close the queue too: the loop below would otherwise wait forever to hand a frame to an encoder that is
                // gone (ffmpeg refusing or losing its output once left `sharpseg portrait` hanging).
                encode.Writer.TryComplete(failure);
                throw;
            }
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var segmented = SegmentAsync(predictors, ToAsync(reader.Frames(stop.Token, buffers)), options, stop.Token);
            var e = segmented.GetAsyncEnumerator(stop.Token);
            try
            {
                while (true)
                {
                    bool next;
                    try { next = e.MoveNextAsync().AsTask().GetAwaiter().GetResult(); }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                    if (!next) break;
                    var s = e.Current;
                    if (encoder.IsFaulted) break;
                    encode.Writer.WriteAsync(s, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    if (options.MasksFolder != null) PngCodec.SaveGray8(Path.Combine(options.MasksFolder, $"frame_{s.Index + 1:D6}.png"), s.Mask.Width, s.Mask.Height, s.Mask.Labels);
                    frames++;
                    if (s.Inferred) inferred++;
                    progress?.Report(new VideoProgress(frames, info.Frames, frames / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed));
                    if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                }
            }
            finally
            {
                stop.Cancel();
                try { e.DisposeAsync().AsTask().GetAwaiter().GetResult(); } catch (OperationCanceledException) { }
            }
        }
        finally
        {
            encode.Writer.TryComplete();
            try { encoder.GetAwaiter().GetResult(); }
            finally { }
        }
        writer.Close();
        return new VideoResult(Path.GetFullPath(output), frames, inferred, cancelled, clock.Elapsed, info, options.MasksFolder == null ? null : Path.GetFullPath(options.MasksFolder));
    }

    static async IAsyncEnumerable<RgbImage> ToAsync(IEnumerable<RgbImage> frames)
    {
        foreach (var f in frames) { yield return f; await Task.Yield(); }
    }

    static RgbImage Render(SegmentedFrame s, VideoOptions o, Predictor predictor, IReadOnlyList<int> foreground, Backdrop? background, FrameBuffers buffers)
    {
        switch (o.Render)
        {
            case VideoRender.Overlay: return MaskRenderer.Overlay(s.Frame, s.Mask, predictor.Colours, o.Opacity);
            case VideoRender.Color: return MaskRenderer.ColourMask(s.Mask, predictor.Colours);
            case VideoRender.Mask:
            {
                var gray = new RgbImage(s.Mask.Width, s.Mask.Height, 3);
                for (int i = 0; i < s.Mask.Labels.Length; i++) gray.Pixels[3 * i] = gray.Pixels[3 * i + 1] = gray.Pixels[3 * i + 2] = s.Mask.Labels[i];
                return gray;
            }
            default:
            {
                // The coefficients of a refined alpha come from the frame the model ran on (shared by the frames between
                // with --every), applied to this frame's luminance.
                var alpha = Compositing.ForegroundAlpha(s.Reduced, foreground, o.Background.Refine, o.Background.RefineRadius);
                return Compositing.Compose(s.Frame, alpha, background, o.Background.BlurRadius, s.Inferred ? s.Reduced.Image : null, buffers.Rent());
            }
        }
    }
}
