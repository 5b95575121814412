using System.Text.Json.Nodes;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
using SharpSeg.Curation.Selection;
using Xunit;

namespace SharpSeg.Tests.Curation;

/// <summary><c>sharpseg curate</c> as one library call: scoring (here none), labelled images, selection and the files named after the CSV.</summary>
public sealed class CurationRunTests
{
    [Fact]
    public void One_call_selects_and_writes_the_csv_report_and_contact_sheet_beside_each_other()
    {
        string dir = TestPaths.NewTempDir("curation-run");
        string images = CurationTestData.WriteScenesWithCopy(dir, 8, 3);
        string npy = Path.Combine(dir, "emb.npy");
        using (var embedder = new ThumbnailEmbedder()) EmbeddingRunner.Run(embedder, new EmbedOptions(ImageCollection.Find(images), npy, BatchSize: 4));
        File.WriteAllText(Path.Combine(dir, "labelled.txt"), "scene00.png\nnot-embedded.png\n");
        string outDir = Path.Combine(dir, "out");
        Directory.CreateDirectory(outDir);

        var run = CurationRun.Run(new CurationRunOptions
        {
            Embeddings = npy, Out = Path.Combine(outDir, "sel.csv"), Budget = 3, Strategy = "diversity", Labelled = Path.Combine(dir, "labelled.txt"), Seed = 1,
        });

        Assert.Equal(9, run.Embeddings.Count);
        Assert.Null(run.Scoring);
        Assert.Equal(1, run.Labelled!.Found);
        Assert.Equal("not-embedded.png", Path.GetFileName(Assert.Single(run.Labelled.NotFound)));
        Assert.Equal(3, run.Selection.Selected.Count);
        Assert.Equal(Path.Combine(outDir, "sel.csv"), run.Files.Selection);
        Assert.Equal(Path.Combine(outDir, "sel.report.json"), run.Files.Report);
        Assert.Equal(Path.Combine(outDir, "sel.contact.png"), run.Files.ContactSheet);
        Assert.Null(run.Files.Scores);
        Assert.Equal(4, File.ReadAllLines(run.Files.Selection).Length);
        Assert.DoesNotContain(File.ReadAllLines(run.Files.Selection), l => l.Contains("scene00.png"));
        Assert.Equal(1, (int)JsonNode.Parse(File.ReadAllText(run.Files.Report))!["labelled"]!);
        Assert.True(File.Exists(run.Files.ContactSheet));
    }

    /// <summary><c>sharpseg curate --images DIR</c>: the images are embedded first with the ImageNet ResNet-18 (what diversity
    /// selection was measured on) and, for near-duplicates, as thumbnails; both files resume on a rerun.</summary>
    [Fact]
    public void Images_are_embedded_with_the_imagenet_encoder_and_thumbnails_find_the_copies()
    {
        string dir = TestPaths.NewTempDir("curation-images");
        string images = CurationTestData.WriteScenesWithCopy(dir, 8, 3);
        var options = new CurationRunOptions { Images = images, Out = Path.Combine(dir, "sel.csv"), Budget = 3, Seed = 1 };

        var run = CurationRun.Run(options);
        Assert.Equal(9, run.Embeddings.Count);
        Assert.Equal(512, run.Embeddings.Dim);
        Assert.Contains("resnet18_imagenet", run.Embeddings.Header.Embedder);
        Assert.Contains("weights=imagenet", run.Embeddings.Header.Embedder);
        Assert.Equal(Path.Combine(dir, "sel.embeddings.npy"), run.Files.Embeddings);
        Assert.Equal(Path.Combine(dir, "sel.thumbnails.npy"), run.Files.Thumbnails);
        Assert.True(File.Exists(run.Files.Thumbnails));
        Assert.Equal(new[] { 9, 9 }, run.Embedded!.Select(e => e.Embedded));
        Assert.Equal(1, run.Selection.Dedupe!.Removed); // the copy, found on the thumbnails
        Assert.Equal(3, run.Selection.Selected.Count);

        // A rerun embeds nothing again and selects the same images.
        var again = CurationRun.Run(options);
        Assert.Equal(new[] { 9, 9 }, again.Embedded!.Select(e => e.AlreadyDone));
        Assert.Equal(run.Selection.Selected.Select(p => p.Path), again.Selection.Selected.Select(p => p.Path));

        // Without dedupe no thumbnails are made; images and embeddings together, or neither, are refused in one line.
        var kept = CurationRun.Run(options with { Out = Path.Combine(dir, "kept.csv"), DedupeThreshold = null });
        Assert.Null(kept.Files.Thumbnails);
        Assert.Single(kept.Embedded!);
        Assert.Contains("not both or neither", Assert.Throws<SharpSegException>(() => CurationRun.Run(options with { Embeddings = kept.Files.Embeddings })).Message);
        Assert.Contains("--images DIR", Assert.Throws<SharpSegException>(() => CurationRun.Run(options with { Images = null })).Message);

        // --bf16 reaches the encoder (its header says so); a rerun in the other precision is told what to delete, since
        // curate has no --overwrite.
        var half = CurationRun.Run(options with { Out = Path.Combine(dir, "half.csv"), DedupeThreshold = null, Bf16 = true });
        Assert.EndsWith(" bf16", half.Embeddings.Header.Embedder);
        var flipped = Assert.Throws<SharpSegException>(() => CurationRun.Run(options with { Out = Path.Combine(dir, "half.csv"), DedupeThreshold = null })).Message;
        Assert.Contains("delete half.embeddings.* beside --out", flipped);
        Assert.DoesNotContain("--overwrite", flipped);
    }

    [Fact]
    public void File_names_follow_the_selection_csv()
    {
        var f = CurationRun.FilesFor(Path.Combine("a", "picked.csv"), contactSheet: false, scores: true);
        string stem = Path.Combine(Path.GetFullPath("a"), "picked");
        Assert.Equal(new CurationRunFiles(stem + ".csv", stem + ".report.json", null, stem + ".scores.csv"), f);
    }

    [Fact]
    public void Checkpoint_and_scores_together_and_bad_names_are_refused()
    {
        Assert.Contains("not both", Assert.Throws<SharpSegException>(() => CurationRun.Run(new CurationRunOptions
            { Embeddings = "e.npy", Out = "s.csv", Checkpoint = "c.ckpt", Scores = "s.scores.csv" })).Message);
        Assert.Equal(UncertaintyMeasure.LeastConfidence, CurationRunOptions.ParseMeasure("least_confidence"));
        Assert.Throws<SharpSegException>(() => CurationRunOptions.ParseMeasure("variance"));
        Assert.False(CurationRunOptions.ParseAggregate("MEAN"));
        Assert.Throws<SharpSegException>(() => CurationRunOptions.ParseAggregate("max"));
        // --bf16 with nothing to run: embeddings and scores are already computed.
        Assert.Contains("--bf16 runs a network", Assert.Throws<SharpSegException>(() => CurationRun.Run(new CurationRunOptions
            { Embeddings = "e.npy", Out = "s.csv", Scores = "s.scores.csv", Bf16 = true })).Message);
    }
}
