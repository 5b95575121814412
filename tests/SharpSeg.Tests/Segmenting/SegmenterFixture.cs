using SharpSeg.Imaging;
using SharpSeg.Onnx;
using SharpSeg.Tests.Fuzz;
using SharpSeg.Tests.Onnx;
using TorchSharp;

namespace SharpSeg.Tests.Segmenting;

/// <summary>A tiny model (U-Net depth 1, width 4, 3 classes, BatchNorm statistics settled, head set to pick the largest of three decoder features) saved as a checkpoint and
/// exported to ONNX, and two small images; made once per test run (about a second).</summary>
public static class SegmenterFixture
{
    static readonly Lazy<(string Checkpoint, string Onnx, string Images)> Files = TestPaths.SharedLazy(() =>
    {
        string dir = TestPaths.NewTempDir("segmenter-model");
        var (ckpt, onnx) = (Path.Combine(dir, "tiny.ckpt"), Path.Combine(dir, "tiny.onnx"));
        string images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        var scene = Image(40, 30, 1);
        var odd = Image(37, 53, 2);
        ImageFile.SavePng(scene, Path.Combine(images, "scene.png"));
        ImageFile.SavePng(odd, Path.Combine(images, "odd.png"));
        var config = HostileFileGenerator.TinyModel;
        // The seed fixes the weights only while no other test draws from libtorch's global generator at the same time
        // (xunit runs classes in parallel), so the model is checked: the next seed is tried until both images get more
        // than one class, which the tests comparing masks need.
        for (int seed = 5; ; seed++)
        {
            using (var model = ExportFixture.SettledModel(config, seed))
            {
                // A random head predicts one class nearly everywhere (all logits within 1 %); class c = "decoder feature c is the
                // largest of the first three" makes the arg-max follow the image, so that equal masks prove something.
                using (torch.no_grad())
                    foreach (var (name, parameter) in model.named_parameters())
                        if (name == "head.bias") parameter.zero_();
                        else if (name == "head.weight") parameter.copy_(10 * torch.eye(3, 4).reshape(3, 4, 1, 1));
                var info = ExportFixture.Info(config);
                SharpSeg.Checkpoints.Checkpoint.Save(ckpt, model, info);
                OnnxExporter.Export(model, info, onnx, new OnnxExportOptions());
            }
            using var predictor = SharpSeg.Inference.Predictor.FromCheckpoint(ckpt);
            if (predictor.Predict(scene).Labels.Distinct().Count() > 1 && predictor.Predict(odd).Labels.Distinct().Count() > 1) break;
            if (seed > 60) throw new InvalidOperationException("no seed from 5 to 60 gave a tiny model that predicts more than one class");
        }
        return (ckpt, onnx, images);
    });

    public static string Checkpoint => Files.Value.Checkpoint;
    public static string Onnx => Files.Value.Onnx;

    /// <summary>The folder holding scene.png (40x30) and odd.png (37x53).</summary>
    public static string Images => Files.Value.Images;

    /// <summary>Smooth random blobs, so that a tiny random model predicts more than one class.</summary>
    public static RgbImage Image(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new RgbImage(width, height, 3);
        var centres = Enumerable.Range(0, 4).Select(_ => (X: random.Next(width), Y: random.Next(height), C: new[] { random.Next(256), random.Next(256), random.Next(256) })).ToList();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var nearest = centres.MinBy(c => (c.X - x) * (c.X - x) + (c.Y - y) * (c.Y - y));
                for (int k = 0; k < 3; k++) image.Pixels[(y * width + x) * 3 + k] = (byte)Math.Clamp(nearest.C[k] + random.Next(-20, 21), 0, 255);
            }
        return image;
    }
}
