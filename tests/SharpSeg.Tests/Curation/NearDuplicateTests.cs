using SharpSeg.Imaging;
using SkiaSharp;
using Xunit;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Tests.Curation;

public sealed class NearDuplicateTests
{
    /// <summary>Writes a copy of <paramref name="source"/> resized by <paramref name="scale"/> and encoded as <paramref name="format"/>.</summary>
    static void WriteCopy(string source, string target, double scale, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = SKBitmap.Decode(source);
        using var resized = scale == 1 ? bitmap.Copy() : bitmap.Resize(new SKImageInfo((int)(bitmap.Width * scale), (int)(bitmap.Height * scale)), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        using var image = SKImage.FromBitmap(resized);
        using var data = image.Encode(format, quality);
        File.WriteAllBytes(target, data.ToArray());
    }

    [Fact]
    public void ThumbnailDedupeFindsExactResizedAndReencodedCopiesAndNothingElse()
    {
        string dir = TestPaths.NewTempDir("dedupe-planted");
        var scenes = CurationTestData.WriteScenes(dir, 12);
        // Planted: scene00 exact copy; scene01 at 0.6x and 1.5x; scene02 as JPEG quality 60; scene03 resized 0.5x and JPEG 75.
        File.Copy(scenes[0], Path.Combine(dir, "z-copy-of-00.png"));
        WriteCopy(scenes[1], Path.Combine(dir, "z-small-01.png"), 0.6, SKEncodedImageFormat.Png, 100);
        WriteCopy(scenes[1], Path.Combine(dir, "z-large-01.png"), 1.5, SKEncodedImageFormat.Png, 100);
        WriteCopy(scenes[2], Path.Combine(dir, "z-jpeg-02.jpg"), 1, SKEncodedImageFormat.Jpeg, 60);
        WriteCopy(scenes[3], Path.Combine(dir, "z-small-jpeg-03.jpg"), 0.5, SKEncodedImageFormat.Jpeg, 75);

        var images = ImageCollection.Find(dir);
        string npy = Path.Combine(dir, "emb", "thumb.npy");
        using (var embedder = new ThumbnailEmbedder()) EmbeddingRunner.Run(embedder, new EmbedOptions(images, npy, BatchSize: 4));
        var set = EmbeddingSet.Read(npy);
        Assert.Equal(17, set.Count);
        var result = NearDuplicateFinder.Find(set, CurationOptions.DefaultDedupeThreshold);

        int Row(string name) => set.IndexOf(Path.Combine(dir, name));
        var expected = new[]
        {
            new[] { "scene00.png", "z-copy-of-00.png" },
            new[] { "scene01.png", "z-small-01.png", "z-large-01.png" },
            new[] { "scene02.png", "z-jpeg-02.jpg" },
            new[] { "scene03.png", "z-small-jpeg-03.jpg" },
        };
        string Describe() => string.Join("; ", result.Groups.Select(g => $"{set.Paths[g.Representative]} <- {string.Join(", ", g.Members.Select(m => set.Paths[m]))} ({string.Join(", ", g.Similarities.Select(s => s.ToString("0.000")))})"));
        Assert.True(result.Groups.Count == 4, Describe());
        foreach (var group in expected)
        {
            var rows = group.Select(Row).ToArray();
            Assert.All(rows, r => Assert.True(r >= 0));
            int rep = result.RepresentativeOf[rows[0]];
            Assert.All(rows, r => Assert.True(result.RepresentativeOf[r] == rep, Describe()));
        }
        Assert.Equal(5, result.Removed);
        // The distinct scenes are all kept.
        for (int k = 4; k < 12; k++) Assert.False(result.IsRemoved(Row($"scene{k:00}.png")), Describe());
        Assert.Equal(new Dictionary<int, int> { [2] = 3, [3] = 1 }, result.SizeHistogram);
    }

    [Fact]
    public void LabelledImagesRepresentTheirGroupsAndAreNeverRemoved()
    {
        // Rows 0, 1, 2 nearly identical; 3 different. Row 2 is labelled: 0 and 1 go, 2 and 3 stay.
        var set = CurationTestData.Set([[1, 0, 0], [0.99f, 0.01f, 0], [0.995f, 0.005f, 0.001f], [0, 1, 0]]);
        var r = NearDuplicateFinder.Find(set, 0.95, protectedRows: [2]);
        Assert.Equal(new[] { 2, 2, 2, 3 }, r.RepresentativeOf);
        var single = Assert.Single(r.Groups);
        Assert.Equal(2, single.Representative);
        Assert.Equal(new[] { 0, 1 }, single.Members);
    }

    [Fact]
    public void GroupsDoNotChainThroughIntermediateImages()
    {
        // A slow pan: a~b and b~c above the threshold, a and c below. b has the most neighbours and keeps both,
        // but every removed image is itself a near-duplicate of its representative.
        double t = 0.95;
        float[] At(double deg) => [(float)Math.Cos(deg * Math.PI / 180), (float)Math.Sin(deg * Math.PI / 180)];
        var set = CurationTestData.Set([At(0), At(15), At(30), At(45), At(60)]); // cos 15° = 0.966, cos 30° = 0.866
        var r = NearDuplicateFinder.Find(set, t);
        foreach (var g in r.Groups)
            foreach (var s in g.Similarities) Assert.True(s >= t);
        // 15° keeps 0° and 30°; 45° keeps 60°. Connected components would have merged all five into one group.
        Assert.Equal(new[] { 1, 1, 1, 3, 3 }, r.RepresentativeOf);
    }

    [Fact]
    public void FlatImagesAreDuplicatesOfEachOtherAndUnlikeTexturedOnes()
    {
        var e = new ThumbnailEmbedder(8);
        var grey = new RgbImage(40, 30, 3); Array.Fill(grey.Pixels, (byte)128);
        var dark = new RgbImage(20, 20, 3); Array.Fill(dark.Pixels, (byte)10);
        var textured = new RgbImage(40, 30, 3); new Random(2).NextBytes(textured.Pixels);
        float Cos(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();
        var (g, d, t) = (e.Embed(grey), e.Embed(dark), e.Embed(textured));
        Assert.Equal(1, Cos(g, d), 1e-4);
        Assert.Equal(0, Cos(g, t), 1e-4);
        Assert.Equal(1, Cos(t, t), 1e-4);
    }
}
