using System.Text;
using SharpSeg.Imaging;
using SharpSeg.Models.Encoders;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using Xunit;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Tests.Curation;

public sealed class EmbeddingFileTests
{
    static EmbeddingHeader Header(int dim, string root = "/imgs") => new() { Embedder = "test", Dim = dim, ImageRoot = root };

    [Fact]
    public void WrittenFileIsANumpyArrayWithPathsAndHeader()
    {
        string dir = TestPaths.NewTempDir("emb-format");
        string npy = Path.Combine(dir, "e.npy");
        using (var w = EmbeddingWriter.Open(npy, Header(3)))
        {
            w.Append(new float[] { 1, 0, 0, 0, 1, 0 }, ["a.png", "sub/b.png"]);
            w.Append(new float[] { 0, 0, 1 }, ["c.png"]);
        }
        var bytes = File.ReadAllBytes(npy);
        Assert.Equal(128 + 9 * 4, bytes.Length);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 }, bytes[..10]);
        string dict = Encoding.ASCII.GetString(bytes, 10, 118);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }", dict);
        Assert.EndsWith("\n", dict);
        Assert.Equal(1f, BitConverter.ToSingle(bytes, 128 + 4 * 4)); // row 1, column 1
        Assert.Equal("a.png\nsub/b.png\nc.png\n", File.ReadAllText(Path.Combine(dir, "e.paths.txt")));
        var set = EmbeddingSet.Read(npy);
        Assert.Equal((3, 3), (set.Count, set.Dim));
        Assert.Equal(3, set.Header.Rows);
        Assert.Equal(Path.GetFullPath("/imgs/sub/b.png"), set.FullPath(1));
        Assert.Equal(1, set.IndexOf("sub/b.png"));
        Assert.Equal(1, set.IndexOf("/imgs/sub/b.png"));
        Assert.Equal(-1, set.IndexOf("nope.png"));
    }

    [Fact]
    public void ResumeCutsAPartialRowAndAnUnmatchedPathAndRefusesAnotherEmbedder()
    {
        string dir = TestPaths.NewTempDir("emb-resume");
        string npy = Path.Combine(dir, "e.npy");
        using (var w = EmbeddingWriter.Open(npy, Header(2))) w.Append(new float[] { 1, 0, 0, 1 }, ["a.png", "b.png"]);
        // A crash mid-batch: half a row in the data file and a path whose row never made it.
        using (var f = new FileStream(npy, FileMode.Append)) f.Write(new byte[6]);
        File.AppendAllText(Path.Combine(dir, "e.paths.txt"), "c.png\nd.pn");
        using (var w = EmbeddingWriter.Open(npy, Header(2)))
        {
            Assert.Equal(new[] { "a.png", "b.png" }, w.Done);
            w.Append(new float[] { 0.6f, 0.8f }, ["c.png"]);
        }
        var set = EmbeddingSet.Read(npy);
        Assert.Equal(new[] { "a.png", "b.png", "c.png" }, set.Paths);
        Assert.Equal(new[] { 1f, 0, 0, 1, 0.6f, 0.8f }, set.Vectors);
        var e = Assert.Throws<SharpSegException>(() => EmbeddingWriter.Open(npy, Header(2) with { Embedder = "other" }));
        Assert.Contains("--overwrite", e.Message);
        Assert.Throws<SharpSegException>(() => EmbeddingWriter.Open(npy, Header(2, "/elsewhere")));
        using (var w = EmbeddingWriter.Open(npy, Header(2) with { Embedder = "other" }, overwrite: true)) Assert.Empty(w.Done);
        Assert.Contains("must end in .npy", Assert.Throws<SharpSegException>(() => EmbeddingSet.Read(Path.Combine(dir, "e.bin"))).Message);
    }

    /// <summary>Stops the run after a number of batches, like a user pressing Ctrl+C.</summary>
    sealed class StopAfter(IImageEmbedder inner, int batches, CancellationTokenSource cts) : IImageEmbedder
    {
        int _calls;
        public string Identity => inner.Identity;
        public int Dim => inner.Dim;
        public int Grid => inner.Grid;
        public int ImageChannels => inner.ImageChannels;
        public RgbImage Prepare(RgbImage image) => inner.Prepare(image);
        public void Embed(IReadOnlyList<RgbImage> images, Span<float> output)
        {
            inner.Embed(images, output);
            if (++_calls == batches) cts.Cancel();
        }
        public void Dispose() { }
    }

    [Fact]
    public void AnInterruptedRunResumesToTheSameRowsAsAnUninterruptedOne()
    {
        string dir = TestPaths.NewTempDir("emb-interrupt");
        CurationTestData.WriteScenes(dir, 7);
        File.WriteAllText(Path.Combine(dir, "broken.png"), "not a png");
        var images = ImageCollection.Find(dir);
        string full = Path.Combine(dir, "out", "full.npy"), resumed = Path.Combine(dir, "out", "resumed.npy");
        var first = EmbeddingRunner.Run(new ThumbnailEmbedder(8), new EmbedOptions(images, full, BatchSize: 3));
        Assert.Equal(7, first.Embedded);
        Assert.Single(first.Failures);
        Assert.Contains("broken.png", first.Failures[0]);
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => EmbeddingRunner.Run(new StopAfter(new ThumbnailEmbedder(8), 1, cts), new EmbedOptions(images, resumed, BatchSize: 3), cancellationToken: cts.Token));
        Assert.Equal(2, EmbeddingSet.Read(resumed).Count); // the first batch: broken.png (skipped), scene00, scene01
        var second = EmbeddingRunner.Run(new ThumbnailEmbedder(8), new EmbedOptions(images, resumed, BatchSize: 3));
        Assert.Equal(2, second.AlreadyDone);
        Assert.Equal(5, second.Embedded);
        Assert.Single(second.Failures); // retried, still broken
        var a = EmbeddingSet.Read(full);
        var b = EmbeddingSet.Read(resumed);
        Assert.Equal(a.Paths, b.Paths);
        Assert.Equal(a.Vectors, b.Vectors);
    }

    [Fact]
    public void EncoderEmbedderPoolsTheDeepestMapIntoUnitRowsWithAnOptionalGrid()
    {
        var encoder = new UNetEncoder(3, depth: 2, baseWidth: 4, batchNorm: true);
        int c = encoder.OutChannels[^1];
        var a = new RgbImage(40, 30, 3); new Random(1).NextBytes(a.Pixels);
        var b = new RgbImage(20, 20, 3); new Random(2).NextBytes(b.Pixels);
        using var global = new EncoderEmbedder(encoder, Normalization.ImageNet, "unet test", 32, 32, grid: 0);
        Assert.Equal(c, global.Dim);
        var rows = new float[3 * c];
        global.Embed([a, b, a], rows);
        for (int i = 0; i < 3; i++) Assert.Equal(1, Math.Sqrt(rows.AsSpan(i * c, c).ToArray().Sum(v => (double)v * v)), 1e-4);
        Assert.Equal(rows.AsSpan(0, c).ToArray(), rows.AsSpan(2 * c, c).ToArray()); // same image, same row, whatever the batch
        using var grid = new EncoderEmbedder(encoder, Normalization.ImageNet, "unet test", 32, 32, grid: 2);
        Assert.Equal(5 * c, grid.Dim);
        var g = new float[grid.Dim];
        grid.Embed([a], g);
        Assert.Equal(1, Math.Sqrt(g.Sum(v => (double)v * v)), 1e-4);
        // The global part is the plain global vector scaled by 1/√5.
        for (int k = 0; k < c; k++) Assert.Equal(rows[k] / Math.Sqrt(5), g[k], 1e-4);
        Assert.Contains("multiple of the encoder's output stride 4", Assert.Throws<SharpSegException>(() => new EncoderEmbedder(encoder, Normalization.ImageNet, "x", 30, 32)).Message);
    }

    [Fact]
    public void A_bf16_embedder_gives_the_fp32_vectors_within_rounding_and_never_resumes_an_fp32_set()
    {
        var encoder = new UNetEncoder(3, depth: 2, baseWidth: 8, batchNorm: true);
        var images = Enumerable.Range(0, 3).Select(i => { var im = new RgbImage(40, 30, 3); new Random(10 + i).NextBytes(im.Pixels); return im; }).ToList();
        using var fp32 = new EncoderEmbedder(encoder, Normalization.ImageNet, "unet test", 32, 32, grid: 2);
        using var bf16 = new EncoderEmbedder(encoder, Normalization.ImageNet, "unet test", 32, 32, grid: 2, bf16: true);
        Assert.EndsWith(" bf16", bf16.Identity);
        Assert.NotEqual(fp32.Identity, bf16.Identity);
        var a = new float[3 * fp32.Dim]; var b = new float[3 * bf16.Dim];
        fp32.Embed(images, a);
        bf16.Embed(images, b);
        Assert.NotEqual(a, b); // autocast really ran
        for (int i = 0; i < 3; i++)
        {
            var ra = a.AsSpan(i * fp32.Dim, fp32.Dim).ToArray(); var rb = b.AsSpan(i * bf16.Dim, bf16.Dim).ToArray();
            double cos = ra.Zip(rb, (x, y) => (double)x * y).Sum();
            Assert.True(cos > 0.99, $"image {i}: cosine between the fp32 and bf16 rows {cos}");
            Assert.Equal(1, Math.Sqrt(rb.Sum(v => (double)v * v)), 1e-4); // pooled and normalised in fp32
        }
        // A set embedded in fp32 is not continued in bf16: its header names the other embedder.
        string dir = TestPaths.NewTempDir("emb-bf16");
        CurationTestData.WriteScenes(dir, 3);
        var collection = ImageCollection.Find(dir);
        string npy = Path.Combine(dir, "out", "e.npy");
        EmbeddingRunner.Run(fp32, new EmbedOptions(collection, npy));
        Assert.Contains("--overwrite", Assert.Throws<SharpSegException>(() => EmbeddingRunner.Run(bf16, new EmbedOptions(collection, npy))).Message);
        Assert.Contains("--bf16 applies to network encoders", Assert.Throws<SharpSegException>(() => EmbeddingEncoders.FromName("thumbnail", bf16: true)).Message);
    }
}
