using System.Text.Json;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using Xunit;

namespace SharpSeg.Tests.Segmenting;

/// <summary>The public <see cref="Segmenter"/>: the same masks as <c>sharpseg predict</c>, from files, bytes and streams,
/// on every backend, concurrently; user errors as one line.</summary>
public sealed class SegmenterTests
{
    static void Ok(CliRunner.Result r) => Assert.True(r.ExitCode == 0, r.ToString());

    public static TheoryData<string, string[]> Cases => new()
    {
        { "ckpt", [] },
        { "onnx", [] },
        { "ckpt", ["--tile", "16", "--overlap", "0.25", "--tta-flip"] },
        { "onnx", ["--tile", "24", "--tta-scales", "0.75,1"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Segment_gives_the_files_predict_writes(string kind, string[] flags)
    {
        string model = kind == "onnx" ? SegmenterFixture.Onnx : SegmenterFixture.Checkpoint;
        string outDir = TestPaths.NewTempDir("segmenter-predict");
        Ok(CliRunner.Run(["predict", kind == "onnx" ? "--model" : "--checkpoint", model, "--input", SegmenterFixture.Images, "--out", outDir, "--opacity", "0.3", .. flags]));
        var options = InferenceOptions.FromFlags(Flag(flags, "--tile") is { } t ? int.Parse(t) : null, Flag(flags, "--overlap") is { } o ? double.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0.25,
            null, flags.Contains("--tta-flip"), Flag(flags, "--tta-scales"));

        using var segmenter = Segmenter.Load(model);
        var classesSeen = new HashSet<byte>();
        foreach (var stem in new[] { "scene", "odd" })
        {
            string image = Path.Combine(SegmenterFixture.Images, stem + ".png");
            var fromPath = segmenter.Segment(image, options);
            var fromBytes = segmenter.Segment(File.ReadAllBytes(image), stem + ".png", options);
            using var stream = File.OpenRead(image);
            var fromStream = segmenter.Segment(stream, stem + ".png", options);

            byte[] mask = File.ReadAllBytes(Path.Combine(outDir, stem + "_mask.png"));
            Assert.Equal(mask, fromPath.MaskPng());
            Assert.Equal(mask, fromBytes.MaskPng());
            Assert.Equal(mask, fromStream.MaskPng());
            Assert.Equal(ImageFile.Load(Path.Combine(outDir, stem + "_mask.png"), 1).Pixels, fromPath.ClassMap.Labels);
            Assert.Equal(File.ReadAllBytes(Path.Combine(outDir, stem + "_color.png")), fromBytes.ColourMaskPng());
            Assert.Equal(File.ReadAllBytes(Path.Combine(outDir, stem + "_overlay.png")), fromStream.OverlayPng(0.3));

            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, stem + "_summary.json")));
            var shares = summary.RootElement.GetProperty("classes").EnumerateArray().Select(c => (c.GetProperty("name").GetString(), c.GetProperty("pixels").GetInt64(), c.GetProperty("share").GetDouble())).ToList();
            Assert.Equal(shares, fromPath.Classes.Select(c => ((string?)c.Name, c.Pixels, c.Share)).ToList());
            Assert.Equal(summary.RootElement.GetProperty("tiles").GetInt32(), fromPath.Tiles);
            Assert.Equal(1.0, fromPath.Classes.Sum(c => c.Share), 4);
            Assert.Equal(fromPath.ClassMap.Labels[5 * fromPath.Width + 7], fromPath.ClassAt(7, 5));
            classesSeen.UnionWith(fromPath.ClassMap.Labels);
        }
        Assert.True(classesSeen.Count >= 2, "the fixture model predicts a single class, so equal masks would prove little");
    }

    static string? Flag(string[] flags, string name) => Array.IndexOf(flags, name) is int i and >= 0 ? flags[i + 1] : null;

    [Fact]
    public void Bf16_segments_like_fp32_within_rounding_and_is_refused_for_onnx()
    {
        using var fp32 = Segmenter.Load(SegmenterFixture.Checkpoint);
        using var bf16 = Segmenter.Load(SegmenterFixture.Checkpoint, new SegmenterOptions { Bf16 = true });
        string image = Path.Combine(SegmenterFixture.Images, "scene.png");
        var a = fp32.Segment(image, new InferenceOptions(KeepProbabilities: true));
        var b = bf16.Segment(image, new InferenceOptions(KeepProbabilities: true));
        double maxDiff = a.Probabilities!.Zip(b.Probabilities!, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(maxDiff > 0 && maxDiff < 0.1, $"bf16 probabilities differ from fp32's by up to {maxDiff}");
        Assert.True(a.ClassMap.Labels.Zip(b.ClassMap.Labels).Count(p => p.First == p.Second) >= 0.98 * a.ClassMap.Labels.Length);
        var e = Assert.Throws<SharpSegException>(() => Segmenter.Load(SegmenterFixture.Onnx, new SegmenterOptions { Bf16 = true }));
        Assert.Contains("--bf16", e.Message);
    }

    [Fact]
    public void Probabilities_are_returned_on_request_and_their_argmax_is_the_class_map()
    {
        using var segmenter = Segmenter.Load(SegmenterFixture.Checkpoint);
        string image = Path.Combine(SegmenterFixture.Images, "scene.png");
        Assert.Null(segmenter.Segment(image).Probabilities);
        var result = segmenter.Segment(image, new InferenceOptions(KeepProbabilities: true));
        var p = Assert.IsType<float[]>(result.Probabilities);
        int c = segmenter.Classes.Count, plane = result.Width * result.Height;
        Assert.Equal(c * plane, p.Length);
        for (int i = 0; i < plane; i++)
        {
            int best = Enumerable.Range(0, c).MaxBy(k => p[k * plane + i]);
            Assert.Equal(best, result.ClassMap.Labels[i]);
            Assert.Equal(1f, Enumerable.Range(0, c).Sum(k => p[k * plane + i]), 3);
        }
        Assert.Equal(segmenter.Segment(image).ClassMap.Labels, result.ClassMap.Labels);
    }

    [Fact]
    public async Task Concurrent_calls_over_two_copies_give_the_sequential_masks_and_a_batch_keeps_its_order()
    {
        using var one = Segmenter.Load(SegmenterFixture.Onnx);
        using var pool = Segmenter.Load(SegmenterFixture.Onnx, new SegmenterOptions(Instances: 2));
        Assert.Equal(2, pool.Instances);
        var images = Enumerable.Range(0, 6).Select(i => ImageFile.EncodePng(SegmenterFixture.Image(20 + 3 * i, 40 - 2 * i, 10 + i))).ToList();
        var expected = images.Select(b => one.Segment(b).ClassMap.Labels).ToList();

        var tasks = Enumerable.Range(0, 16).Select(i => i % 2 == 0
            ? pool.SegmentAsync(images[i % images.Count], $"{i}.png")
            : Task.Run(() => pool.Segment(images[i % images.Count], $"{i}.png"))).ToList();
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < results.Length; i++) Assert.Equal(expected[i % images.Count], results[i].ClassMap.Labels);

        string dir = TestPaths.NewTempDir("segmenter-batch");
        var paths = images.Select((b, i) => { string p = Path.Combine(dir, $"{i}.png"); File.WriteAllBytes(p, b); return p; }).ToList();
        var progress = new List<(int, int)>();
        var batch = await pool.SegmentAsync(paths, progress: new SyncProgress(progress));
        Assert.Equal(expected, batch.Select(r => r.ClassMap.Labels).ToList());
        Assert.Equal(paths.Select(Path.GetFileName), batch.Select(r => r.Summary.Image));
        Assert.Equal(6, progress.Count);
    }

    sealed class SyncProgress(List<(int, int)> into) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) { lock (into) into.Add(value); }
    }

    [Fact]
    public void User_errors_are_one_line_naming_what_and_how_to_fix()
    {
        static string OneLine(Action a)
        {
            var e = Assert.ThrowsAny<SharpSegException>(a);
            Assert.DoesNotContain('\n', e.Message);
            return e.Message;
        }
        Assert.Contains("missing.ckpt", OneLine(() => Segmenter.Load("missing.ckpt")));
        Assert.Contains("--device", OneLine(() => Segmenter.Load(SegmenterFixture.Onnx, new SegmenterOptions(Device: "cuda"))));
        Assert.Contains("instances 0", OneLine(() => Segmenter.Load(SegmenterFixture.Onnx, new SegmenterOptions(Instances: 0))));
        using var segmenter = Segmenter.Load(SegmenterFixture.Checkpoint);
        Assert.Contains("upload.png", OneLine(() => segmenter.Segment("not an image"u8.ToArray(), "upload.png")));
        Assert.Contains("upload.png", OneLine(() => segmenter.Segment([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], "upload.png")));
        Assert.Contains("empty", OneLine(() => segmenter.Segment(Array.Empty<byte>(), "upload.png")));
        Assert.Contains("--tile 4", OneLine(() => segmenter.Segment(Path.Combine(SegmenterFixture.Images, "scene.png"), new InferenceOptions(TileSize: 4))));

        // The pixel limit is checked from the header: a 40x30 image is refused under a 1000-pixel limit, as PNG bytes and as a file.
        using var small = Segmenter.Load(SegmenterFixture.Checkpoint, maxPixels: 1000);
        string scene = Path.Combine(SegmenterFixture.Images, "scene.png");
        Assert.Contains("over the limit", OneLine(() => small.Segment(File.ReadAllBytes(scene), "big.png")));
        Assert.Contains("over the limit", OneLine(() => small.Segment(scene)));
        Assert.Throws<PixelLimitException>(() => small.Segment(scene));
        Assert.Equal(PixelLimit.DefaultMaxPixels, PixelLimit.MaxPixels); // the segmenter's limit did not leak into the caller
        Assert.Equal(40 * 30, segmenter.Segment(scene).ClassMap.Labels.Length);
    }
}
