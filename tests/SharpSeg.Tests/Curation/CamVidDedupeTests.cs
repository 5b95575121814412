using Xunit;
using Xunit.Abstractions;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Selection;

namespace SharpSeg.Tests.Curation;

public sealed class CamVidDedupeTests(ITestOutputHelper output)
{
    [SharedDatasetFact("camvid/train/images")]
    public void ThumbnailDedupeFindsTheStoppedCarFramesOfCamVidTrain()
    {
        string images = Path.Combine(TestPaths.SharedDatasets!, "camvid", "train", "images");
        string npy = Path.Combine(TestPaths.NewTempDir("camvid-thumb"), "thumb.npy");
        var run = EmbeddingRunner.Run(new ThumbnailEmbedder(), new EmbedOptions(ImageCollection.Find(images), npy, BatchSize: 32));
        Assert.Equal(367, run.Embedded);
        var set = EmbeddingSet.Read(npy);
        var dedupe = NearDuplicateFinder.Find(set, CurationOptions.DefaultDedupeThreshold);
        output.WriteLine($"CamVid train: {dedupe.Removed} near-duplicates removed in {dedupe.Groups.Count} groups at {dedupe.Threshold}; {run.ImagesPerSecond:F0} images/s");
        // Measured 78 in 25 groups (docs/CURATION.md); a broken embedding finds none or merges everything.
        Assert.InRange(dedupe.Removed, 40, 120);
        // Duplicates come from the same sequence (file prefix), never across sequences.
        Assert.All(dedupe.Groups, g => Assert.All(g.Members, m => Assert.Equal(set.Paths[g.Representative][..6], set.Paths[m][..6])));
    }
}
