using System.Text.Json.Nodes;
using SharpSeg.Checkpoints;
using SharpSeg.Data.Dataset;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Portrait;
using SharpSeg.Tests.Video;
using SharpSeg.Video;
using SkiaSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Portrait;

/// <summary>Portrait effects on a synthetic picture with a known person mask, the guided filter, and
/// <c>sharpseg portrait</c> on photos and a video.</summary>
public sealed class PortraitTests
{
    /// <summary>A "model" whose person is exactly the left half of any picture (logits ±20).</summary>
    sealed class LeftHalfModel : nn.Module<Tensor, Tensor>
    {
        public LeftHalfModel() : base(nameof(LeftHalfModel)) { }
        public override Tensor forward(Tensor x)
        {
            long w = x.shape[3];
            var person = (arange(w) < w / 2).to_type(ScalarType.Float32).reshape(1, 1, 1, w).expand(x.shape[0], 1, x.shape[2], w);
            return cat([(1 - person) * 20 - 10, person * 20 - 10], 1);
        }
    }

    static Predictor LeftHalfPredictor() => Predictor.FromBackend(new TorchInferenceBackend(new LeftHalfModel(), 2, ownsModel: true), new CheckpointInfo
    {
        Model = new JsonObject { ["architecture"] = "test", ["num_classes"] = 2 },
        Classes = new ClassTable([new ClassInfo("background", new Rgb(0, 0, 0), null), new ClassInfo("person", new Rgb(255, 0, 0), null)]),
        Mean = [0, 0, 0], Std = [1, 1, 1],
    });

    static RgbImage Picture(int w, int h)
    {
        var img = new RgbImage(w, h, 3);
        var rng = new Random(5);
        rng.NextBytes(img.Pixels);
        return img;
    }

    [Fact]
    public void Effects_keep_the_person_and_change_only_the_background()
    {
        using var predictor = LeftHalfPredictor();
        var image = Picture(40, 24);
        string dir = TestPaths.NewTempDir("portrait-effects");
        string beach = Path.Combine(dir, "beach.png");
        var blue = new RgbImage(10, 10, 3);
        for (int i = 0; i < 100; i++) { blue.Pixels[3 * i + 2] = 200; blue.Pixels[3 * i + 1] = 50; }
        ImageFile.SavePng(blue, beach);
        var off = new PortraitOptions { Background = new() { Refine = false, WorkingSize = PortraitOptions.DefaultWorkingSize } };

        var cut = PortraitEffects.Apply(predictor, image, off with { Effect = PortraitEffectKind.Cutout });
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 40; x++) Assert.Equal(x < 20 ? 255 : 0, cut.Alpha![y * 40 + x]);
        string cutPath = Path.Combine(dir, "cut.png");
        cut.Save(cutPath);
        using (var decoded = SKBitmap.Decode(cutPath))
        {
            Assert.Equal((byte)0, decoded.GetPixel(30, 5).Alpha);
            Assert.Equal((byte)255, decoded.GetPixel(5, 5).Alpha);
            var c = decoded.GetPixel(5, 5);
            Assert.Equal((image.Pixels[(5 * 40 + 5) * 3], image.Pixels[(5 * 40 + 5) * 3 + 1]), (c.Red, c.Green));
        }

        var blurred = PortraitEffects.Apply(predictor, image, off);
        int changedLeft = 0, changedRight = 0;
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 40; x++)
                for (int k = 0; k < 3; k++)
                {
                    int i = (y * 40 + x) * 3 + k;
                    if (blurred.Image.Pixels[i] != image.Pixels[i]) { if (x < 20) changedLeft++; else changedRight++; }
                }
        Assert.Equal(0, changedLeft);
        Assert.True(changedRight > 24 * 20 * 3 * 0.8, $"only {changedRight} background values changed");

        var replaced = PortraitEffects.Apply(predictor, image, off with { Effect = PortraitEffectKind.Replace, Background = off.Background with { BackgroundImage = beach } });
        static byte[] Px(RgbImage im, int x, int y) => im.Pixels.AsSpan((y * im.Width + x) * 3, 3).ToArray();
        Assert.Equal(new byte[] { 0, 50, 200 }, Px(replaced.Image, 30, 10));
        Assert.Equal(Px(image, 3, 10), Px(replaced.Image, 3, 10));

        Assert.Contains("PNG", Assert.Throws<SharpSegException>(() => blurred.Save(Path.Combine(dir, "x.jpg"))).Message);
        Assert.Contains("not found", Assert.Throws<SharpSegException>(() => PortraitEffects.Apply(predictor, image, off with { Effect = PortraitEffectKind.Replace, Background = off.Background with { BackgroundImage = Path.Combine(dir, "none.png") } })).Message);
        Assert.Contains("images only", Assert.Throws<SharpSegException>(() => (off with { Effect = PortraitEffectKind.Cutout }).ToVideo()).Message);
    }

    [Fact]
    public void Working_resolution_runs_the_model_small_and_returns_full_size_results()
    {
        Assert.Equal(1, WorkingResolution.Factor(640, 360, null));
        Assert.Equal(1, WorkingResolution.Factor(500, 300, 512));
        Assert.Equal(3, WorkingResolution.Factor(1280, 720, 512));
        using var predictor = LeftHalfPredictor();
        var image = Picture(200, 120);
        var result = WorkingResolution.Infer(predictor, image, InferenceOptions.Default with { KeepProbabilities = true }, 64);
        Assert.Equal((200, 120), (result.Mask.Width, result.Mask.Height));
        Assert.Equal(2 * 200 * 120, result.Probabilities!.Length);
        for (int y = 0; y < 120; y += 7)
            for (int x = 0; x < 200; x++)
                if (Math.Abs(x - 100) > 4) Assert.Equal(x < 100 ? 1 : 0, result.Mask.Labels[y * 200 + x]);
        Assert.All(Enumerable.Range(0, 200 * 120), i => Assert.Equal(1f, result.Probabilities[i] + result.Probabilities[200 * 120 + i], 4));
        Assert.Null(WorkingResolution.Infer(predictor, image, InferenceOptions.Default, 64).Probabilities);
        Assert.Throws<SharpSegException>(() => new VideoOptions { Background = new() { WorkingSize = 8 } }.Validate(2));
        Assert.Throws<SharpSegException>(() => new PortraitOptions { Background = new() { WorkingSize = 8 } }.Validate(2));
        new VideoOptions { Background = new() { WorkingSize = 0 } }.Validate(2); // 0: full resolution, for both
        new PortraitOptions { Background = new() { WorkingSize = 0 } }.Validate(2);
        Assert.Contains("--render replace-background=IMAGE", Assert.Throws<SharpSegException>(() => new VideoOptions { Render = VideoRender.ReplaceBackground }.Validate(2)).Message);
        Assert.Contains("--effect replace=IMAGE", Assert.Throws<SharpSegException>(() => new PortraitOptions { Effect = PortraitEffectKind.Replace }.Validate(2)).Message);
        Assert.Contains("outside the model's 2 classes", Assert.Throws<SharpSegException>(() => new VideoOptions { Background = new() { Foreground = [2] } }.Validate(2)).Message);
    }

    [Fact]
    public void A_reduced_result_resized_without_probabilities_has_the_mask_of_the_resized_probabilities()
    {
        // Smooth random probabilities of 4 classes on 23x17, brought back to 100x70 (a non-whole factor, so every
        // output pixel interpolates) with and without the full-size planes.
        int w = 23, h = 17, classes = 4, m = w * h;
        var rng = new Random(5);
        var p = new float[classes * m];
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < m; i++) p[c * m + i] = (float)(Math.Sin(0.4 * (i % w) * (c + 1) + c) * Math.Cos(0.3 * (i / w) + 2 * c) + 0.3 * rng.NextDouble());
        var small = LabelMask.ArgMax(p, classes, w, h);
        var reduced = new ReducedInference(new RgbImage(w, h, 3), new InferenceResult(small, p, classes, 1, 0), 100, 70);
        var withPlanes = reduced.ToFullSize(keepProbabilities: true);
        var direct = reduced.ToFullSize(keepProbabilities: false);
        Assert.Null(direct.Probabilities);
        Assert.Equal((100, 70), (direct.Mask.Width, direct.Mask.Height));
        int differ = 0, n = 100 * 70;
        for (int i = 0; i < n; i++)
        {
            if (direct.Mask.Labels[i] == withPlanes.Mask.Labels[i]) continue;
            differ++;   // only where two classes are within rounding of each other (the two sum in another order)
            Assert.Equal(withPlanes.Probabilities![withPlanes.Mask.Labels[i] * n + i], withPlanes.Probabilities[direct.Mask.Labels[i] * n + i], 5);
        }
        Assert.True(differ <= 3, $"{differ} pixels differ");
        Assert.Contains(direct.Mask.Labels, l => l != direct.Mask.Labels[0]);   // the planes are not one class
    }

    [Fact]
    public void Guided_filter_moves_a_misplaced_soft_edge_onto_the_image_edge()
    {
        // The picture: dark left of x = 20, bright from x = 20. The mask: a soft ramp 10 pixels wide, centred one pixel off, at x = 21
        // (a low-resolution mask upsampled); the filter's windows reach across all of it.
        int w = 48, h = 16;
        var image = new RgbImage(w, h, 1);
        var mask = new float[w * h];
        var truth = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                image.Pixels[y * w + x] = (byte)(x < 20 ? 40 : 220);
                mask[y * w + x] = Math.Clamp((x - 21 + 5) / 10f, 0, 1);
                truth[y * w + x] = x < 20 ? 0 : 1;
            }
        var refined = GuidedFilter.Refine(image, mask, radius: 8, eps: 1e-3f);
        // The step of the mask lands on the image's edge: thresholded at 0.5 it is the true mask (the ramp's was a pixel off),
        // and its largest jump between neighbours is the one across the edge.
        Assert.Contains(mask.Select((v, i) => v >= 0.5f != truth[i] > 0.5f), wrong => wrong);
        Assert.All(refined.Select((v, i) => v >= 0.5f == truth[i] > 0.5f), Assert.True);
        var row = refined.AsSpan(5 * w, w).ToArray();
        int steepest = Enumerable.Range(1, w - 1).MaxBy(x => row[x] - row[x - 1]);
        Assert.Equal(20, steepest);
        Assert.True(row[20] - row[19] > 0.5f, $"the jump across the edge is only {row[20] - row[19]:F2}");
        // A flat picture leaves a flat mask flat.
        var flat = new RgbImage(w, h, 3);
        Assert.All(GuidedFilter.Refine(flat, Enumerable.Repeat(0.3f, w * h).ToArray()), v => Assert.Equal(0.3f, v, 5));
        Assert.Throws<ArgumentException>(() => GuidedFilter.Refine(flat, new float[3]));
    }

    [Fact]
    public void Portrait_command_writes_photos_and_refuses_bad_requests_in_one_line()
    {
        string dir = TestPaths.NewTempDir("portrait-cli");
        string photo = Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "mediapipe", "astronaut_192.png");
        var r = CliRunner.Run("portrait", "--input", photo, "--out", Path.Combine(dir, "cut.png"), "--effect", "cutout");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("person", r.StdOut);
        using (var cut = SKBitmap.Decode(Path.Combine(dir, "cut.png")))
        {
            Assert.Equal((192, 192), (cut.Width, cut.Height));
            Assert.True(cut.GetPixel(96, 60).Alpha > 200, "the face should be opaque");
            Assert.True(cut.GetPixel(3, 3).Alpha < 50, "the top-left corner is background");
        }
        r = CliRunner.Run("portrait", "--input", photo, "--out", Path.Combine(dir, "blur.png"), "--model", "landscape");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("landscape", r.StdOut);

        static void OneLine(CliRunner.Result result, string expected) => result.AssertOneLineError(expected);
        OneLine(CliRunner.Run("portrait", "--input", photo, "--out", Path.Combine(dir, "x.png"), "--effect", "replace"), "needs the picture");
        OneLine(CliRunner.Run("portrait", "--input", photo, "--out", Path.Combine(dir, "x.png"), "--effect", "sparkle"), "not known");
        OneLine(CliRunner.Run("portrait", "--input", photo, "--out", Path.Combine(dir, "x.jpg")), "PNG");
        OneLine(CliRunner.Run("portrait", "--input", photo, "--out", Path.Combine(dir, "x.png"), "--model", Path.Combine(dir, "nope.tflite")), "not found");

        // A folder: nothing that would overwrite a photo or another result is written.
        string photos = TestPaths.NewTempDir("portrait-photos");
        File.Copy(photo, Path.Combine(photos, "a.png"));
        OneLine(CliRunner.Run("portrait", "--input", photos, "--out", photos), "would overwrite this input photo");
        File.Copy(Path.Combine(dir, "blur.png"), Path.Combine(photos, "a.bmp"));   // checked by name, before any decoding
        string results = TestPaths.NewTempDir("portrait-results");
        OneLine(CliRunner.Run("portrait", "--input", photos, "--out", results), "would both be written to");
        Assert.Empty(Directory.GetFiles(results));
    }

    [FfmpegFact]
    public void Portrait_command_blurs_a_video_frame_by_frame()
    {
        string dir = TestPaths.NewTempDir("portrait-video");
        var photo = ImageFile.Load(Path.Combine(TestPaths.RepoRoot, "tests", "SharpSeg.Tests", "Fixtures", "mediapipe", "astronaut_192.png"), 3);
        string video = Path.Combine(dir, "in.mp4");
        using (var writer = new VideoWriter(video, 192, 192, 10))
            for (int i = 0; i < 6; i++) writer.Write(photo);
        var r = CliRunner.Run("portrait", "--input", video, "--out", Path.Combine(dir, "out.mp4"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("6 frames", r.StdOut);
        Assert.Equal(6, Ffmpeg.Probe(Path.Combine(dir, "out.mp4")).Frames);
        // A faster encoder preset writes the same frames (the real-time setting on few cores).
        r = CliRunner.Run("portrait", "--input", video, "--out", Path.Combine(dir, "fast.mp4"), "--preset", "ultrafast");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(6, Ffmpeg.Probe(Path.Combine(dir, "fast.mp4")).Frames);
        CliRunner.Run("portrait", "--input", video, "--out", Path.Combine(dir, "x.mp4"), "--preset", "warp").AssertOneLineError("--preset 'warp' is not an encoder preset");
        var cut = CliRunner.Run("portrait", "--input", video, "--out", Path.Combine(dir, "cut.mp4"), "--effect", "cutout");
        cut.AssertOneLineError("images only");
    }
}
