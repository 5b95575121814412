using System.Diagnostics;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using SharpSeg.Video;
using Xunit;

namespace SharpSeg.Tests.Video;

/// <summary>Runs only where ffmpeg is installed (<c>.ci/run</c> installs Debian's); skipped with the reason elsewhere.</summary>
public sealed class FfmpegFactAttribute : FactAttribute
{
    public FfmpegFactAttribute()
    {
        if (!Ffmpeg.IsAvailable) Skip = "ffmpeg/ffprobe not found (Debian: sudo apt-get install ffmpeg): the video tests need them.";
    }
}

/// <summary><c>sharpseg video</c> and <see cref="VideoSegmentation"/> on a short video made from the generated dataset.</summary>
public sealed class VideoTests
{
    static readonly Lazy<(string Checkpoint, string Video, RgbImage[] Frames)> Fixture = TestPaths.SharedLazy(() =>
    {
        string run = TestPaths.NewTempDir("video-model");
        var trained = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2)), run).Run();
        var spec = DatasetSpec.Load(TrainingFixture.DatasetYaml);
        var frames = spec.ResolvePairs("val").Select(p => ImageFile.Load(p.ImagePath, 3)).ToArray();
        string video = Path.Combine(TestPaths.NewTempDir("video-input"), "scenes.mp4");
        using (var writer = new VideoWriter(video, frames[0].Width, frames[0].Height, 5))
        {
            foreach (var f in frames) writer.Write(f);
        }
        return (trained.BestCheckpoint!, video, frames);
    });

    static long CountFrames(string video) =>
        long.Parse(RunTool(Ffmpeg.FfprobePath, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", video).Trim());

    static List<RgbImage> Decode(string video)
    {
        using var reader = new VideoReader(video);
        return reader.Frames().ToList();
    }

    [FfmpegFact]
    public void VideoWritesEveryFrameAndTheMaskVideoHoldsTheExactClassIndices()
    {
        var (checkpoint, video, frames) = Fixture.Value;
        string dir = TestPaths.NewTempDir("video-cli");
        var r = CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "mask.mkv"), "--render", "mask", "--masks", Path.Combine(dir, "masks"), "--copies", "3");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"{frames.Length} frames ({frames.Length} through the model)", r.StdOut);
        var decoded = Decode(Path.Combine(dir, "mask.mkv"));
        Assert.Equal(frames.Length, decoded.Count);
        var pngs = Directory.GetFiles(Path.Combine(dir, "masks")).Order().ToList();
        Assert.Equal(frames.Length, pngs.Count);
        using var predictor = Predictor.FromCheckpoint(checkpoint);
        using var reader = new VideoReader(video);
        int i = 0;
        foreach (var frame in reader.Frames())
        {
            var mask = predictor.Predict(frame);
            var png = PngCodec.Decode(pngs[i]);
            Assert.Equal(mask.Labels, png.Samples.Select(v => (byte)v).ToArray());                       // the PNG masks are predict's masks of the decoded frames
            Assert.Equal(mask.Labels, Enumerable.Range(0, mask.Labels.Length).Select(k => decoded[i].Pixels[3 * k]).ToArray()); // and the mask video is lossless
            i++;
        }

        var overlay = CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "overlay.mp4"), "--every", "3", "--smooth", "0.6");
        Assert.True(overlay.ExitCode == 0, overlay.ToString());
        Assert.Contains($"{frames.Length} frames ({(frames.Length + 2) / 3} through the model)", overlay.StdOut);
        Assert.Equal(frames.Length, CountFrames(Path.Combine(dir, "overlay.mp4")));
        var info = Ffmpeg.Probe(Path.Combine(dir, "overlay.mp4"));
        Assert.Equal((frames[0].Width, frames[0].Height, "h264"), (info.Width, info.Height, info.Codec));
    }

    [FfmpegFact]
    public void The_default_preset_is_superfast_with_mbtree_and_x264_presets_pass_through()
    {
        // x264 writes its options into the stream (an SEI text): read them back from the file.
        static string Options(string preset)
        {
            string video = Path.Combine(TestPaths.NewTempDir("video-preset"), preset + ".mp4");
            using (var writer = new VideoWriter(video, 64, 48, 5, preset: preset))
                for (int i = 0; i < 3; i++) writer.Write(new RgbImage(64, 48, 3));
            string text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(video));
            int at = text.IndexOf("options: ", StringComparison.Ordinal);
            Assert.True(at >= 0, $"{video}: no x264 options in the stream");
            return text[at..text.IndexOf('\0', at)];
        }
        string realtime = Options(VideoWriter.DefaultPreset);
        Assert.Equal(VideoWriter.RealTimePreset, VideoWriter.DefaultPreset);
        foreach (var o in new[] { " me=dia ", " subme=1 ", " mbtree=1 ", " rc_lookahead=10 ", " crf=20.0 " }) Assert.Contains(o, realtime);
        string veryfast = Options("veryfast");
        foreach (var o in new[] { " me=hex ", " subme=2 ", " mbtree=1 ", " rc_lookahead=10 " }) Assert.Contains(o, veryfast);
        string superfast = Options("superfast");
        foreach (var o in new[] { " me=dia ", " subme=1 ", " mbtree=0 " }) Assert.Contains(o, superfast);
        Assert.Throws<SharpSegException>(() => VideoWriter.CheckPreset("warp"));
    }

    [FfmpegFact]
    public void An_odd_sized_video_is_written_one_column_and_row_larger_repeating_the_last()
    {
        // H.264 in yuv420p needs even sizes: 65×49 frames are encoded at 66×50, the extra column and row copies of the last.
        const int w = 65, h = 49;
        var frame = new RgbImage(w, h, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) { int i = 3 * (y * w + x); frame.Pixels[i] = (byte)(3 * x); frame.Pixels[i + 1] = (byte)(4 * y); frame.Pixels[i + 2] = 128; }
        string video = Path.Combine(TestPaths.NewTempDir("video-odd"), "odd.mp4");
        using (var writer = new VideoWriter(video, w, h, 5))
        {
            Assert.Equal((66, 50), (writer.EncodedWidth, writer.EncodedHeight));
            for (int k = 0; k < 3; k++) writer.Write(frame);
        }
        var decoded = Decode(video);
        Assert.Equal(3, decoded.Count);
        var d = decoded[1];
        Assert.Equal((66, 50), (d.Width, d.Height));
        int At(int x, int y, int c) => d.Pixels[3 * (y * d.Width + x) + c];
        for (int y = 0; y < h; y += 8) Assert.InRange(At(65, y, 0) - At(64, y, 0), -8, 8);   // the new column repeats the last, not black
        for (int x = 0; x < w; x += 8) Assert.InRange(At(x, 49, 1) - At(x, 48, 1), -8, 8);   // and the new row
        Assert.InRange(At(40, 20, 0), 120 - 8, 120 + 8);                                       // the picture itself is where it was
        Assert.Equal((65, 49), VideoWriter.EncodedSize(65, 49, lossless: true));              // lossless RGB keeps any size
        Assert.Equal((64, 48), VideoWriter.EncodedSize(64, 48));
    }

    [FfmpegFact]
    public void A_video_stored_rotated_is_read_upright_at_its_rotated_size()
    {
        // Phones store an upright video as landscape frames plus "rotate 90°"; ffmpeg applies it when decoding. Reading
        // such a file at the stored size mixed the rows of the frames up (and counted one frame too many).
        const int w = 64, h = 32;
        var frame = new RgbImage(w, h, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) frame.Pixels[3 * (y * w + x)] = (byte)(x < w / 2 ? 230 : 20); // left half bright
        string dir = TestPaths.NewTempDir("video-rotated");
        string stored = Path.Combine(dir, "stored.mp4"), rotated = Path.Combine(dir, "rotated.mp4");
        using (var writer = new VideoWriter(stored, w, h, 5))
            for (int k = 0; k < 4; k++) writer.Write(frame);
        RunTool(Ffmpeg.FfmpegPath, "-v", "error", "-y", "-i", stored, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated);

        var info = Ffmpeg.Probe(rotated);
        Assert.Equal((h, w), (info.Width, info.Height));
        var frames = Decode(rotated);
        Assert.Equal(4, frames.Count);
        var f = frames[2];
        Assert.Equal((h, w), (f.Width, f.Height));
        // Turned by 90° the bright half is now the top or the bottom half, the same in every column.
        int At(int x, int y) => f.Pixels[3 * (y * f.Width + x)];
        bool topBright = At(h / 2, 4) > 128;
        for (int x = 2; x < f.Width - 2; x += 5)
        {
            Assert.Equal(topBright, At(x, 4) > 128);
            Assert.Equal(!topBright, At(x, w - 5) > 128);
        }
    }

    [FfmpegFact]
    public void An_encoder_that_dies_mid_run_is_one_error_not_a_hang()
    {
        // The output is a named pipe: ffmpeg waits to open it while frames pile up in the queue, then the pipe's reader
        // goes away and ffmpeg dies. The run used to wait forever to hand the next frame to the dead encoder.
        if (!OperatingSystem.IsLinux()) return;
        var (checkpoint, _, _) = Fixture.Value;
        string dir = TestPaths.NewTempDir("video-encoder-dies");
        string input = Path.Combine(dir, "in.mp4"), output = Path.Combine(dir, "out.mkv");
        using (var writer = new VideoWriter(input, 320, 240, 10))
            for (int k = 0; k < 60; k++) writer.Write(new RgbImage(320, 240, 3));
        using (var mkfifo = Process.Start("mkfifo", [output])) mkfifo.WaitForExit();
        using var predictor = Predictor.FromCheckpoint(checkpoint);
        var run = Task.Run(() => VideoSegmentation.Run(predictor, input, output, new VideoOptions { Queue = 1, Every = 1000 }));
        Thread.Sleep(1500); // the queue fills behind ffmpeg, which waits for a reader of its output
        using (var pipe = File.OpenRead(output)) pipe.ReadExactly(new byte[16]);
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "the run did not end within a minute");
        var error = Assert.IsType<SharpSegException>(run.Exception?.InnerException);
        Assert.Contains("could not encode", error.Message);
    }

    [FfmpegFact]
    public void A_container_that_cannot_hold_h264_is_refused_before_anything_runs()
    {
        string dir = TestPaths.NewTempDir("video-webm");
        foreach (var ext in new[] { ".webm", ".gif", ".ogv" })
            Assert.Contains("write .mp4, .mkv or .mov", Assert.Throws<SharpSegException>(() => new VideoWriter(Path.Combine(dir, "out" + ext), 64, 48, 10)).Message);
    }

    static string RunTool(string tool, params string[] args)
    {
        var (exitCode, stdout, stderr) = Ffmpeg.RunToEnd(tool, args);
        Assert.True(exitCode == 0, stderr);
        return stdout;
    }

    static string[] StreamTypes(string video) =>
        RunTool(Ffmpeg.FfprobePath, "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", video).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [FfmpegFact]
    public void The_inputs_sound_is_copied_unless_asked_not_to_or_into_a_mask_video()
    {
        var (checkpoint, _, _) = Fixture.Value;
        string dir = TestPaths.NewTempDir("video-audio");
        string input = Path.Combine(dir, "av.mp4");
        RunTool(Ffmpeg.FfmpegPath, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", input);
        Assert.Equal(["video", "audio"], StreamTypes(input));
        using var predictor = Predictor.FromCheckpoint(checkpoint);
        string With(VideoOptions o, string name) { string p = Path.Combine(dir, name); VideoSegmentation.Run(predictor, input, p, o); return p; }
        var withSound = With(new VideoOptions(), "overlay.mp4");
        Assert.Equal(["video", "audio"], StreamTypes(withSound));
        Assert.Equal(20, CountFrames(withSound));
        Assert.Equal(["video"], StreamTypes(With(new VideoOptions { Audio = false }, "silent.mp4")));
        Assert.Equal(["video"], StreamTypes(With(new VideoOptions { Render = VideoRender.Mask }, "mask.mkv")));
    }

    [FfmpegFact]
    public async Task SmoothingIsAnExponentialMovingAverageOfTheFramesProbabilities()
    {
        var (checkpoint, _, frames) = Fixture.Value;
        using var predictor = Predictor.FromCheckpoint(checkpoint);
        var options = new VideoOptions { Smooth = 0.6 };
        static async IAsyncEnumerable<RgbImage> Stream(IEnumerable<RgbImage> f) { foreach (var x in f) { await Task.Yield(); yield return x; } }
        var results = new List<SegmentedFrame>();
        await foreach (var s in VideoSegmentation.SegmentAsync(predictor, Stream(frames.Take(4)), options)) results.Add(s);
        Assert.Equal(4, results.Count);
        float[]? expected = null;
        for (int k = 0; k < 4; k++)
        {
            var p = predictor.Infer(frames[k], InferenceOptions.Default with { KeepProbabilities = true }).Probabilities!;
            const float s = 0.6f;
            expected = expected == null ? p : expected.Zip(p, (a, b) => s * a + (1 - s) * b).ToArray();
            Assert.Equal(expected, results[k].Probabilities!);
            Assert.True(results[k].Inferred);
        }
        Assert.NotEqual(results[0].Probabilities, results[3].Probabilities); // each frame keeps its own array
    }

    [FfmpegFact]
    public async Task Several_model_copies_give_what_one_copy_gives_in_order()
    {
        // Frames in flight on several copies must come out in order, with the same smoothing, reuse (--every) and
        // re-inference on a size change as with one copy, bit for bit.
        var (checkpoint, _, frames) = Fixture.Value;
        var half = SharpSeg.Data.Augmentation.Resampling.ResizeBilinear(frames[0], frames[0].Width / 2, frames[0].Height / 2);
        var stream = Enumerable.Range(0, 9).Select(i => frames[i % frames.Length]).Append(half).Append(half).Append(frames[0]).Append(frames[1 % frames.Length]).ToArray();
        var options = new VideoOptions { Smooth = 0.5, Every = 2 };
        static async IAsyncEnumerable<RgbImage> Stream(IEnumerable<RgbImage> f, int delayEvery)
        {
            int i = 0;
            foreach (var x in f) { if (++i % delayEvery == 0) await Task.Delay(5); else await Task.Yield(); yield return x; }
        }
        async Task<List<SegmentedFrame>> Segment(IReadOnlyList<Predictor> copies, int delayEvery)
        {
            var list = new List<SegmentedFrame>();
            await foreach (var s in VideoSegmentation.SegmentAsync(copies, Stream(stream, delayEvery), options)) list.Add(s);
            return list;
        }
        var one = Predictor.LoadCopies(checkpoint, 1);
        var three = Predictor.LoadCopies(checkpoint, 3);
        try
        {
            var expected = await Segment(one, 3);
            var actual = await Segment(three, 4);
            Assert.Equal(stream.Length, actual.Count);
            Assert.Equal(Enumerable.Range(0, stream.Length).Select(i => (long)i), actual.Select(s => s.Index));
            Assert.Equal(expected.Select(s => s.Inferred), actual.Select(s => s.Inferred));
            Assert.True(actual[9].Inferred && actual[11].Inferred, "a change of frame size runs the model between --every's frames");
            Assert.False(actual[1].Inferred || actual[7].Inferred);
            for (int i = 0; i < stream.Length; i++)
            {
                Assert.Same(stream[i], actual[i].Frame);
                Assert.Equal(expected[i].Mask.Labels, actual[i].Mask.Labels);
                Assert.Equal(expected[i].Probabilities!, actual[i].Probabilities!);
            }
            Assert.Throws<ArgumentException>(() => VideoSegmentation.SegmentAsync([one[0], one[0]], Stream(stream, 2), options));
        }
        finally
        {
            foreach (var p in one.Concat(three)) p.Dispose();
        }
    }

    [FfmpegFact]
    public void ACancelledRunLeavesAPlayableVideoOfTheFramesDone()
    {
        var (checkpoint, video, frames) = Fixture.Value;
        string output = Path.Combine(TestPaths.NewTempDir("video-cancel"), "part.mp4");
        using var predictor = Predictor.FromCheckpoint(checkpoint);
        using var cts = new CancellationTokenSource();
        var result = VideoSegmentation.Run(predictor, video, output, new VideoOptions { Render = VideoRender.BlurBackground },
            new SyncProgress<VideoProgress>(p => { if (p.Frames == 5) cts.Cancel(); }), cts.Token);
        Assert.True(result.Cancelled);
        Assert.Equal(5, result.Frames);
        Assert.Equal(5, CountFrames(output));
        Assert.True(frames.Length > 5);
    }

    [FfmpegFact]
    public void UserErrorsAreOneLine()
    {
        var (checkpoint, video, _) = Fixture.Value;
        string dir = TestPaths.NewTempDir("video-errors");
        void OneLine(CliRunner.Result r, string expected)
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Single(r.StdErr.Trim().Split('\n'));
            Assert.Contains(expected, r.StdErr);
        }
        string notVideo = Path.Combine(dir, "notes.mp4");
        File.WriteAllText(notVideo, "not a video");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", notVideo, "--out", Path.Combine(dir, "o.mp4")), "not a video ffprobe can read");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "o.mp4"), "--render", "replace-background=" + Path.Combine(dir, "none.jpg")), "background picture not found");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "o.mp4"), "--render", "sepia"), "--render 'sepia' is not known");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "o.mp4"), "--smooth", "1"), "--smooth 1");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "o.mp4"), "--copies", "0"), "--copies 0");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", video), "would overwrite the input");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "o.mp4"), "--foreground", "nobody"), "--foreground 'nobody' is not a class");
        OneLine(CliRunner.Run("video", "--checkpoint", checkpoint, "--input", video, "--out", Path.Combine(dir, "o.mp4"), "--render", "blur-background", "--blur-radius", "0"), "--blur-radius 0");
    }

    [Fact]
    public void BlurKeepsAFlatImageAndBlendFollowsAlpha()
    {
        var flat = new RgbImage(9, 7, 3, Enumerable.Repeat((byte)77, 9 * 7 * 3).ToArray());
        Assert.All(Compositing.Blur(flat, 3).Pixels, v => Assert.Equal(77, v));
        var white = new RgbImage(2, 1, 3, Enumerable.Repeat((byte)255, 6).ToArray());
        var black = new RgbImage(2, 1, 3);
        Assert.Equal(new byte[] { 255, 255, 255, 64, 64, 64 }, Compositing.Blend(white, Backdrop.Of(black), AlphaField.FromMask([1f, 0.25f], 2, 1, 2, 1)).Pixels);
        var stripe = new RgbImage(8, 1, 3);
        for (int x = 4; x < 8; x++) stripe.Pixels[3 * x] = 255;
        var blurred = Compositing.Blur(stripe, 1).Pixels.Where((_, i) => i % 3 == 0).ToArray();
        Assert.True(blurred[3] > 0 && blurred[4] < 255 && blurred[0] == 0 && blurred[7] == 255, string.Join(",", blurred));
        Assert.Equal((10, 6), (Compositing.Cover(flat, 10, 6).Width, Compositing.Cover(flat, 10, 6).Height));
    }

    [Fact]
    public void A_reduced_alpha_and_backdrop_compose_as_their_full_size_planes_would()
    {
        // Composition never makes full-size planes: the alpha and the blurred background stay at a reduced size and are
        // stretched per row inside the blend. That must equal stretching them first (bilinear, the same taps).
        var rng = new Random(3);
        int w = 40, h = 24, ws = 14, hs = 8;
        var frame = new RgbImage(w, h, 3); rng.NextBytes(frame.Pixels);
        var small = Enumerable.Range(0, ws * hs).Select(_ => (float)rng.NextDouble()).ToArray();
        var field = AlphaField.FromMask(small, ws, hs, w, h);
        var full = field.Evaluate(frame);
        var expected = Planes.ResizeBilinear(small, ws, hs, w, h);
        Assert.All(Enumerable.Range(0, w * h), i => Assert.Equal(expected[i], full[i], 5));
        var behind = new RgbImage(ws, hs, 3); rng.NextBytes(behind.Pixels);
        var stretched = SharpSeg.Data.Augmentation.Resampling.ResizeBilinear(behind, w, h);
        var direct = Compositing.Blend(frame, Backdrop.Of(behind), field).Pixels;
        var viaFull = Compositing.Blend(frame, Backdrop.Of(stretched), AlphaField.FromMask(full, w, h, w, h)).Pixels;
        Assert.True(direct.Zip(viaFull).All(p => Math.Abs(p.First - p.Second) <= 1), "reduced and full-size compositions differ by more than rounding");
        Assert.Throws<ArgumentException>(() => Compositing.Blend(new RgbImage(w + 1, h, 3), Backdrop.Of(behind), field));
    }

    [Fact]
    public void Frame_buffers_hand_back_arrays_of_the_frame_size_only()
    {
        var pool = new FrameBuffers(12);
        var a = pool.Rent();
        Assert.Equal(12, a.Length);
        pool.Return(a);
        Assert.Same(a, pool.Rent());
        Assert.NotSame(a, pool.Rent()); // the pool was empty again
        pool.Return(new byte[7]);       // another size: left to the GC
        Assert.Equal(12, pool.Rent().Length);
        var many = Enumerable.Range(0, 40).Select(_ => new byte[12]).ToList();
        foreach (var b in many) pool.Return(b);
        int recycled = 0;
        for (int i = 0; i < 40; i++) if (many.Contains(pool.Rent())) recycled++;
        Assert.Equal(16, recycled); // at most 16 are kept
    }

    [Fact]
    public void The_guided_filter_fitted_at_a_third_of_the_size_follows_the_full_size_one()
    {
        // A bright disc with noise; the model's mask is a soft disc a third of the size, slightly off. Refining at the
        // reduced size (the video path) and refining the upsampled mask at full size (GuidedFilter.Refine) agree.
        int w = 240, h = 150, f = 3, ws = w / f, hs = h / f;
        var rng = new Random(9);
        var image = new RgbImage(w, h, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool inside = (x - 110) * (x - 110) + (y - 70) * (y - 70) < 45 * 45;
                for (int k = 0; k < 3; k++) image.Pixels[3 * (y * w + x) + k] = (byte)Math.Clamp((inside ? 200 : 50) + rng.Next(-20, 21), 0, 255);
            }
        var mask = new float[ws * hs];
        for (int y = 0; y < hs; y++)
            for (int x = 0; x < ws; x++)
                mask[y * ws + x] = Math.Clamp((15f - MathF.Sqrt((x - 38f) * (x - 38f) + (y - 24f) * (y - 24f))) / 3f + 0.5f, 0, 1);
        var reduced = Planes.DownsampleArea(image, f);
        var fast = AlphaField.Refined(reduced, mask, w, h, radius: 9).Evaluate(image);
        var reference = GuidedFilter.Refine(image, Planes.ResizeBilinear(mask, ws, hs, w, h), radius: 9);
        double meanDiff = fast.Zip(reference).Average(p => Math.Abs(p.First - p.Second));
        double agree = fast.Zip(reference).Count(p => p.First >= 0.5f == p.Second >= 0.5f) / (double)(w * h);
        Assert.True(meanDiff < 0.03, $"mean |Δ| {meanDiff:F4}");
        Assert.True(agree > 0.99, $"agreement {agree:P2}");
        // Both put the edge on the disc: inside is person, far outside is not.
        Assert.True(fast[70 * w + 110] > 0.9f && fast[5 * w + 5] < 0.1f);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, too late to cancel at a given frame).</summary>
    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
