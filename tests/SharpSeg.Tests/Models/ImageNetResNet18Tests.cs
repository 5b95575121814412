using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using SharpSeg.Pretrained;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Tests.Models;

/// <summary>
/// The offline ImageNet ResNet-18 (NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18, restored with the build, so
/// these tests run everywhere the solution builds): SharpSeg's encoder loaded from the ONNX file computes the same
/// pooled 512-d features as ONNX Runtime running that file, on real images (CamVid, ISBI) or generated ones.
/// </summary>
public sealed class ImageNetResNet18Tests(ITestOutputHelper output)
{
    private const int Size = 224; // the ONNX model's fixed input size

    [Fact]
    public void PackageFilesAreFoundAndTheGraphMapsToEncoderKeys()
    {
        string dir = ImageNetResNet18.Locate();
        Assert.True(File.Exists(ImageNetResNet18.ModelPath(dir)));
        using var weights = ImageNetResNet18.ReadWeights(dir);
        Assert.Equal(110, weights.Count); // 22 convolutions + 22 BatchNorms × 4
        using var encoder = new ResNetEncoder(ImageNetResNet18.EncoderName);
        var expected = encoder.state_dict().Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, weights.Keys.Order(StringComparer.Ordinal));
        var mean = ImageNetResNet18.MeanRgb(dir);
        Assert.InRange(mean[0], 120f, 126f); // R: the classic ImageNet means, in 0-255 units
        Assert.InRange(mean[2], 100f, 106f); // B
    }

    [Fact]
    public void A_shortened_encoder_takes_the_weights_of_its_stages_and_skips_layer4()
    {
        var norm = ImageNetResNet18.Normalization();
        using var full = new ResNetEncoder(ImageNetResNet18.EncoderName);
        using var shortened = new ResNetEncoder(ImageNetResNet18.EncoderName, depth: 4);
        ImageNetResNet18.LoadInto(full, norm);
        var report = ImageNetResNet18.LoadInto(shortened, norm);
        Assert.Equal(shortened.state_dict().Count(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)), report.Loaded);
        Assert.Empty(report.Unexpected);
        var fullWeights = full.state_dict();
        foreach (var (key, t) in shortened.state_dict()) Assert.True(t.eq(fullWeights[key]).all().item<bool>(), key);
    }

    [Fact]
    public void PooledFeaturesEqualOnnxRuntimeOnRealImages()
    {
        var norm = ImageNetResNet18.Normalization();
        using var encoder = new ResNetEncoder(ImageNetResNet18.EncoderName);
        var report = ImageNetResNet18.LoadInto(encoder, norm);
        Assert.Equal(encoder.state_dict().Count(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)), report.Loaded);
        encoder.eval();
        using var session = new InferenceSession(ImageNetResNet18.ModelPath());
        using var preprocess = new InferenceSession(Path.Combine(ImageNetResNet18.Locate(), "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        var mean = ImageNetResNet18.MeanRgb();
        double worst = 0;
        foreach (var (name, image) in Images())
        {
            float[] ours = SharpSegFeatures(encoder, image, norm);
            float[] reference = OnnxFeatures(session, image, mean);
            double diff = ours.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
            double scale = reference.Max(Math.Abs);
            output.WriteLine($"{name}: max |SharpSeg − ONNX Runtime| = {diff:E2} (features up to {scale:F3})");
            Assert.True(diff <= 1e-3 * Math.Max(1, scale), $"{name}: pooled features differ by {diff} (max {scale})");
            worst = Math.Max(worst, diff);
            // For the record: the package's own preprocessing subtracts a mean *image*; SharpSeg uses its per-channel
            // average (images of any size), which moves the features only slightly.
            float[] packaged = OnnxFeatures(session, Run(preprocess, RawRgb(image)), null);
            double cosine = Cosine(ours, packaged);
            output.WriteLine($"{name}: vs the package's mean-image preprocessing: max abs diff {ours.Zip(packaged, (a, b) => Math.Abs(a - b)).Max():E2}, cosine {cosine:F5}");
            Assert.True(cosine > 0.99, $"{name}: features far from the packaged preprocessing (cosine {cosine})");
        }
        output.WriteLine($"worst max abs diff {worst:E2}");
    }

    [Fact]
    public void OtherNormalisationsAreFoldedIntoTheStem()
    {
        // Any mean/std: conv1 absorbs the scale, bn1's running mean the offset. Away from the zero-padded border (where
        // padding stands for a different colour) the stem computes exactly what it computes with the network's own
        // normalisation, which equals ONNX Runtime (test above).
        var own = ImageNetResNet18.Normalization();
        var other = new Normalization([0.2f, 0.3f, 0.6f], [0.5f, 0.4f, 0.3f]);
        using var a = new ResNetEncoder(ImageNetResNet18.EncoderName);
        using var b = new ResNetEncoder(ImageNetResNet18.EncoderName);
        ImageNetResNet18.LoadInto(a, own);
        ImageNetResNet18.LoadInto(b, other);
        a.eval(); b.eval();
        var (name, image) = Images().First();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var stemA = a.forward(ImageTensors.ToTensor(image, own))[1];
        var stemB = b.forward(ImageTensors.ToTensor(image, other))[1];
        double interior = (stemA - stemB)[.., .., 3..^3, 3..^3].abs().max().item<float>();
        double scale = stemA.abs().max().item<float>();
        output.WriteLine($"{name}: stem (112x112) interior max abs diff {interior:E2} (values up to {scale:F2})");
        Assert.True(interior < 1e-4 * Math.Max(1, scale), $"folded normalisation: stem differs by {interior} inside the border");
    }

    [Fact]
    public void EncoderWeightsImageNetNeedsTheMatchingEncoder()
    {
        var e = Assert.Throws<SharpSegException>(() => EncoderWeights.Validate("imagenet", "resnet18"));
        Assert.Contains("resnet18_imagenet", e.Message);
        EncoderWeights.Validate("imagenet", "resnet18_imagenet");
    }

    /// <summary>A U-Net on the ImageNet encoder runs at an awkward size (padding to the stride keeps CNTK's paddings exact).</summary>
    [Fact]
    public void UNetOnTheImageNetEncoderRuns()
    {
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "unet", Encoder = "resnet18_imagenet", NumClasses = 4 });
        EncoderWeights.Load(model, "imagenet", ImageNetResNet18.Normalization());
        model.eval();
        using var noGrad = no_grad();
        using var logits = model.forward(torch.randn(1, 3, 70, 90));
        Assert.Equal(new long[] { 1, 4, 70, 90 }, logits.shape);
    }

    private static float[] SharpSegFeatures(ResNetEncoder encoder, RgbImage image, Normalization norm)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = ImageTensors.ToTensor(image, norm);
        var deepest = encoder.forward(x)[^1];
        return deepest.mean([2L, 3L]).flatten().data<float>().ToArray();
    }

    // The ONNX model's own input: BGR, 0-255, minus the per-channel mean.
    private static float[] OnnxFeatures(InferenceSession session, RgbImage image, IReadOnlyList<float> meanRgb)
    {
        var input = new DenseTensor<float>([1, 3, Size, Size]);
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
                for (int c = 0; c < 3; c++)
                    input[0, 2 - c, y, x] = image.Pixels[(y * Size + x) * 3 + c] - meanRgb[c];
        return Run(session, input).ToArray();
    }

    private static float[] OnnxFeatures(InferenceSession session, DenseTensor<float> preprocessed, object? _) => Run(session, preprocessed).ToArray();

    private static DenseTensor<float> Run(InferenceSession session, DenseTensor<float> input)
    {
        string inputName = session.InputMetadata.Keys.Single();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        var output = results.First().AsTensor<float>();
        return new DenseTensor<float>(output.ToArray(), output.Dimensions.ToArray());
    }

    private static DenseTensor<float> RawRgb(RgbImage image)
    {
        var input = new DenseTensor<float>([1, 3, Size, Size]);
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
                for (int c = 0; c < 3; c++)
                    input[0, c, y, x] = image.Pixels[(y * Size + x) * 3 + c];
        return input;
    }

    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(y => (double)y * y));

    private static IEnumerable<(string Name, RgbImage Image)> Images()
    {
        string? root = TestPaths.SharedDatasets;
        var files = new List<string>();
        if (root != null)
        {
            string camvid = Path.Combine(root, "camvid", "val", "images"), isbi = Path.Combine(root, "isbi2012-membrane", "train", "images");
            if (Directory.Exists(camvid)) files.AddRange(Directory.GetFiles(camvid, "*.png").Order(StringComparer.Ordinal).Take(2));
            if (Directory.Exists(isbi)) files.AddRange(Directory.GetFiles(isbi).Order(StringComparer.Ordinal).Take(1));
        }
        foreach (var f in files) yield return (Path.GetFileName(f), CenterCrop(ImageFile.Load(f, 3)));
        if (files.Count == 0)
        {
            // No shared datasets here: a generated image with edges, gradients and texture.
            var px = new byte[Size * Size * 3];
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    for (int c = 0; c < 3; c++)
                        px[(y * Size + x) * 3 + c] = (byte)((x * (c + 1) + y * 2 + ((x / 16 + y / 16) % 2) * 80 + (int)(40 * Math.Sin(x * 0.3 + c))) & 255);
            yield return ("generated", new RgbImage(Size, Size, 3, px));
        }
    }

    private static RgbImage CenterCrop(RgbImage image)
    {
        Assert.True(image.Width >= Size && image.Height >= Size);
        int x0 = (image.Width - Size) / 2, y0 = (image.Height - Size) / 2;
        var px = new byte[Size * Size * 3];
        for (int y = 0; y < Size; y++)
            Array.Copy(image.Pixels, ((y0 + y) * image.Width + x0) * 3, px, y * Size * 3, Size * 3);
        return new RgbImage(Size, Size, 3, px);
    }
}
