using System.Text.Json;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Instances;
using SharpSeg.Models.MaskClassification;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Instances;

/// <summary><c>predict --instances</c> on a tiny trained mask2former checkpoint: instances from its queries by default
/// (Mask2Former's panoptic inference, one forward pass that also gives the same semantic mask as plain predict),
/// connected components on request, and one-line errors for what does not apply.</summary>
[Collection(SequentialCollection.Name)]
public sealed class QueryInstanceCliTests
{
    static void AssertOneLineError(CliRunner.Result r, string expected) => r.AssertOneLineError(expected);

    [Fact]
    public void Predict_instances_on_a_mask2former_checkpoint_uses_its_queries()
    {
        string run = TestPaths.NewTempDir("query-instances-run");
        var recipe = TrainingRecipe.Load(null, TrainingFixture.ForEncoder([.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2),
            "model.architecture=mask2former", "model.encoder=resnet18", "model.num_queries=8", "model.hidden_dim=16", "model.decoder_layers=3"]));
        string checkpoint = Trainer.Create(recipe, run).Run().BestCheckpoint;
        string images = Path.Combine(Path.GetDirectoryName(TrainingFixture.DatasetYaml)!, "val", "images");
        string plainOut = TestPaths.NewTempDir("query-instances-plain"), outDir = TestPaths.NewTempDir("query-instances-out");

        var plain = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", images, "--out", plainOut);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var predict = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", images, "--out", outDir, "--instances", "--stuff", "background,sky");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        Assert.Contains("instances from queries (Mask2Former's panoptic inference)", predict.StdOut);
        var masks = Directory.GetFiles(plainOut, "*_mask.png").Select(Path.GetFileName).Order().ToList();
        Assert.NotEmpty(masks);
        foreach (var name in masks)
        {
            // One forward pass gives the instances and the same semantic mask as predict without --instances.
            Assert.Equal(File.ReadAllBytes(Path.Combine(plainOut, name!)), File.ReadAllBytes(Path.Combine(outDir, name!)));
            string stem = name![..^"_mask.png".Length];
            var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, stem + "_instances.json"))).RootElement;
            Assert.Equal("queries", json.GetProperty("instances_from").GetString());
            Assert.True(File.Exists(Path.Combine(outDir, stem + "_instances.png")));
            Assert.True(File.Exists(Path.Combine(outDir, stem + "_panoptic.png")));
        }
        // Every segment id in the panoptic PNGs is listed in panoptic.json, and the other way round.
        var panopticJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "panoptic.json"))).RootElement;
        foreach (var annotation in panopticJson.GetProperty("annotations").EnumerateArray())
        {
            var listed = annotation.GetProperty("segments_info").EnumerateArray().Select(s => s.GetProperty("id").GetInt32()).Order();
            var inPng = PanopticPng.Read(Path.Combine(outDir, annotation.GetProperty("file_name").GetString()!)).Where(id => id != 0).Distinct().Order();
            Assert.Equal(listed, inPng);
        }
        foreach (var f in new[] { "instances_coco.json", "instances_summary.csv" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);

        // Two training iterations leave every query on "no object" with a negative mask everywhere: no segment. The same
        // weights with the class bias pushed to "disc" and the last mask-embedding layer zeroed make every query a confident
        // disc whose mask logit is 0 everywhere (sigmoid 0.5, which counts as its own mask): the most confident query wins
        // every pixel and is one segment covering the image, with instance score 0 (no positive logit).
        string confident = Path.Combine(run, "confident.ckpt");
        var stored = SharpSeg.Checkpoints.Checkpoint.Load(checkpoint);
        int disc;
        using (var model = SharpSeg.Models.ModelZoo.Create(stored.Info.Config))
        {
            stored.LoadWeights(model);
            disc = stored.Info.Classes.IndexOf("disc");
            using (TorchSharp.torch.no_grad())
            {
                var bias = model.named_parameters().Single(p => p.name.EndsWith("classEmbed.bias", StringComparison.Ordinal)).parameter;
                bias.zero_();
                bias[disc].fill_(20);
                foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.Contains("maskEmbed.4.", StringComparison.Ordinal))) parameter.zero_();
            }
            SharpSeg.Checkpoints.Checkpoint.Save(confident, model, stored.Info);
        }
        string confidentOut = TestPaths.NewTempDir("query-instances-confident");
        var withSegments = CliRunner.Run("predict", "--checkpoint", confident, "--input", images, "--out", confidentOut, "--instances", "--stuff", "background,sky");
        Assert.True(withSegments.ExitCode == 0, withSegments.ToString());
        var summary = File.ReadAllLines(Path.Combine(confidentOut, "instances_summary.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(masks.Count.ToString(), summary.Single(r => r[0] == "disc")[2]);   // one disc per image
        Assert.All(summary.Where(r => r[0] != "disc"), r => Assert.Equal("0", r[2]));
        foreach (var annotation in JsonDocument.Parse(File.ReadAllText(Path.Combine(confidentOut, "panoptic.json"))).RootElement.GetProperty("annotations").EnumerateArray())
        {
            var listed = annotation.GetProperty("segments_info").EnumerateArray().Select(s => s.GetProperty("id").GetInt32()).Order();
            var inPng = PanopticPng.Read(Path.Combine(confidentOut, annotation.GetProperty("file_name").GetString()!)).Where(id => id != 0).Distinct().Order();
            Assert.Equal(listed, inPng);
        }
        foreach (var j in Directory.GetFiles(confidentOut, "*_instances.json"))
        {
            var doc = JsonDocument.Parse(File.ReadAllText(j)).RootElement;
            var inst = doc.GetProperty("instances").EnumerateArray().Single();
            Assert.Equal(doc.GetProperty("width").GetInt64() * doc.GetProperty("height").GetInt64(), inst.GetProperty("area").GetInt64());
            Assert.Equal(0.0, inst.GetProperty("score").GetDouble());
            Assert.InRange(inst.GetProperty("mean_confidence").GetDouble(), 0.99, 1.0);
        }

        // The library call: the same semantic mask as plain whole-image inference, and a map consistent with its segments.
        using (var predictor = Predictor.FromCheckpoint(confident))
        {
            var image = predictor.LoadImage(Directory.GetFiles(images).Order().First());
            var things = Enumerable.Range(0, predictor.ClassNames.Count).Select(c => c == disc).ToArray();
            var (result, panoptic) = predictor.InferPanoptic(image, things);
            Assert.Equal(predictor.Predict(image).Labels, result.Mask.Labels);
            Assert.Equal((image.Width, image.Height), (panoptic.Width, panoptic.Height));
            Assert.Equal(panoptic.Segments.Select(s => s.Id).Order(), panoptic.SegmentIds.Where(id => id != 0).Distinct().Order());
            var segment = Assert.Single(panoptic.Segments);
            Assert.Equal((disc, true), (segment.ClassIndex, segment.IsThing));
            Assert.All(panoptic.SegmentIds, id => Assert.Equal(1, id));
            Assert.True(segment.ClassScore > 0.99, $"class score {segment.ClassScore}");
            Assert.Equal(predictor.ClassNames.Count * image.Width * image.Height, result.Probabilities!.Length);
        }

        // Connected components on request.
        string componentsOut = TestPaths.NewTempDir("query-instances-components");
        var components = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", images, "--out", componentsOut, "--instances", "--instances-from", "components", "--fill-holes");
        Assert.True(components.ExitCode == 0, components.ToString());
        Assert.Contains("instances: connected components of the predicted masks", components.StdOut);
        Assert.Equal("components", JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(componentsOut, "*_instances.json")[0])).RootElement.GetProperty("instances_from").GetString());

        AssertOneLineError(CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", images, "--out", outDir, "--instances", "--tile", "32"), "--tile and --tta-* do not apply");
        AssertOneLineError(CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", images, "--out", outDir, "--instances", "--fill-holes"), "--fill-holes applies to connected components");
        AssertOneLineError(CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", images, "--out", outDir, "--instances", "--instances-from", "pixels"), "--instances-from 'pixels': use queries");
        AssertOneLineError(CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", images, "--out", outDir, "--instances-from", "queries"), "add --instances");
    }
}
