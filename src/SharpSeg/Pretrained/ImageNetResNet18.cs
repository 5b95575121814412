using System.Reflection;
using System.Runtime.InteropServices;
using Onnx;
using SharpSeg.Data;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Pretrained;

/// <summary>
/// The ImageNet-trained ResNet-18 that ships, offline, in the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18
/// 0.23.1 (MIT): <c>ResNet18Onnx/ResNet18.onnx</c>, a CNTK 2.6 export (ONNX opset 8) whose 110 initializers have
/// generic names (<c>ParameterN</c>/<c>ConstantN</c>), so they are assigned to layers by walking the graph from the input.
/// Its topology is encoder <c>resnet18_imagenet</c>: torchvision's ResNet-18 with three blocks in layer4 (blocks
/// [2, 2, 2, 3]). It expects BGR on a 0–255 scale minus the mean image of <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>.
/// </summary>
/// <remarks>
/// SharpSeg feeds it RGB normalised as <see cref="Normalization"/> (mean = the mean image's per-channel average, std =
/// ImageNet's); the stem's weights are reordered to RGB and scaled so that the network computes exactly what the ONNX
/// model computes on <c>255·x − mean</c> (any other normalisation is folded in too: its scale into conv1, its mean
/// offset into bn1's running mean, exact away from the 3-pixel zero-padded border). The CNTK paddings (stem 3/2, strided
/// 3×3 convs 1/0, max-pool 1/0 before/after) equal PyTorch's symmetric ones for even sizes, which SharpSeg's padding to
/// the output stride guarantees. The file is found by <see cref="Locate"/>; checkpoints hold the loaded weights, so
/// eval and predict never need the package.
/// </remarks>
public static class ImageNetResNet18
{
    /// <summary>The NuGet package holding the weights.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version the build downloads.</summary>
    public const string PackageVersion = "0.23.1";

    /// <summary>The encoder whose topology matches the file.</summary>
    public const string EncoderName = "resnet18_imagenet";

    /// <summary>Environment variable naming a <c>DnnImageModels</c> folder to use instead of the ones searched.</summary>
    public const string ModelsDirectoryVariable = "SHARPSEG_DNN_IMAGE_MODELS";

    private const string ModelFile = "ResNet18Onnx/ResNet18.onnx";
    private const string PreprocessFile = "ResNetPrepOnnx/ResNetPreprocess.onnx";
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private static readonly Lock MeanLock = new();
    private static (string Directory, float[] MeanRgb)? meanCache;

    /// <summary>
    /// The <c>DnnImageModels</c> folder holding <c>ResNet18Onnx/ResNet18.onnx</c> and <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>,
    /// searched in order: <c>$SHARPSEG_DNN_IMAGE_MODELS</c>; <c>DnnImageModels/</c> beside the application and beside
    /// SharpSeg.dll (the build copies it there); the NuGet cache folder recorded at build time; <c>$NUGET_PACKAGES</c> or
    /// <c>~/.nuget/packages</c>. Not found: a one-line <see cref="SharpSegException"/> saying how to get it.
    /// </summary>
    public static string Locate()
    {
        var candidates = Candidates().ToList();
        foreach (var dir in candidates)
            if (File.Exists(Path.Combine(dir, ModelFile)) && File.Exists(Path.Combine(dir, PreprocessFile))) return dir;
        string? env = Environment.GetEnvironmentVariable(ModelsDirectoryVariable);
        throw new SharpSegException(env is { Length: > 0 }
            ? $"{ModelsDirectoryVariable}={env}: no {ModelFile} and {PreprocessFile} there; point it at the package's tools/DnnImageModels folder."
            : $"ImageNet ResNet-18 weights not found (looked for {ModelFile} in {string.Join(", ", candidates.Distinct())}): they come with the NuGet package {PackageId} {PackageVersion}, which `dotnet build` restores; rebuild SharpSeg, or set {ModelsDirectoryVariable} to the package's tools/DnnImageModels folder.");
    }

    private static IEnumerable<string> Candidates()
    {
        string? env = Environment.GetEnvironmentVariable(ModelsDirectoryVariable);
        if (env is { Length: > 0 }) { yield return env; yield break; }
        yield return Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        string? assemblyDir = Path.GetDirectoryName(typeof(ImageNetResNet18).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDir)) yield return Path.Combine(assemblyDir, "DnnImageModels");
        var built = typeof(ImageNetResNet18).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SharpSeg.DnnImageModelsDir")?.Value;
        if (!string.IsNullOrEmpty(built)) yield return Path.GetFullPath(built);
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } np ? np
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        yield return Path.Combine(packages, PackageId.ToLowerInvariant(), PackageVersion, "tools", "DnnImageModels");
    }

    /// <summary>Path of <c>ResNet18.onnx</c> (<see cref="Locate"/>).</summary>
    public static string ModelPath(string? modelsDirectory = null) => Path.Combine(modelsDirectory ?? Locate(), ModelFile);

    /// <summary>Per-channel mean (RGB order, 0–255 units) of the preprocessing's mean image, which the network expects
    /// subtracted: about 123.2, 115.9, 103.1.</summary>
    public static IReadOnlyList<float> MeanRgb(string? modelsDirectory = null)
    {
        string dir = modelsDirectory ?? Locate();
        lock (MeanLock)
        {
            if (meanCache is { } c && c.Directory == dir) return c.MeanRgb;
            var model = ReadOnnx(Path.Combine(dir, PreprocessFile));
            var init = model.Graph.Initializer.FirstOrDefault(t => t.Dims.Count == 4 && t.Dims[1] == 3)
                ?? throw new SharpSegException($"{Path.Combine(dir, PreprocessFile)}: no [1, 3, H, W] mean image inside; is the package damaged?");
            float[] v = Floats(init);
            int plane = v.Length / 3;
            // The preprocessing reorders RGB to BGR and subtracts the image: its channel 0 is blue.
            var bgr = Enumerable.Range(0, 3).Select(ch => (float)v.Skip(ch * plane).Take(plane).Average(x => (double)x)).ToArray();
            float[] rgb = [bgr[2], bgr[1], bgr[0]];
            meanCache = (dir, rgb);
            return rgb;
        }
    }

    /// <summary>The normalisation SharpSeg uses with these weights (what <c>normalize: imagenet</c> resolves to):
    /// mean = <see cref="MeanRgb"/> / 255 (the network's own), std = ImageNet's; one channel: the averages.</summary>
    public static Normalization Normalization(int channels = 3, string? modelsDirectory = null)
    {
        var mean = MeanRgb(modelsDirectory).Select(m => m / 255f).ToArray();
        return new Normalization(mean, ImageNetStd).ForChannels(channels);
    }

    /// <summary>
    /// The file's weights under <c>resnet18_imagenet</c> encoder keys (<c>conv1.weight</c>, <c>layer4.2.bn2.running_var</c>),
    /// exactly as stored: the stem still expects BGR 0–255 minus the mean (<see cref="LoadInto"/> adapts it). The graph
    /// must have the expected topology, else a <see cref="SharpSegException"/> says where it differs.
    /// </summary>
    public static StateDict ReadWeights(string? modelsDirectory = null)
    {
        string path = ModelPath(modelsDirectory);
        return new StateDict(path, OnnxResNetGraph.Read(ReadOnnx(path), path, ResNetEncoder.Variants[EncoderName].Layers));
    }

    /// <summary>
    /// Loads the weights into a <c>resnet18_imagenet</c> <paramref name="encoder"/> that will see images normalised by
    /// <paramref name="normalization"/> (1 or 3 channels): stem reordered to RGB, the normalisation folded into conv1
    /// (scale) and bn1's running mean (offset). Returns what was loaded.
    /// </summary>
    public static StateDictLoadReport LoadInto(ResNetEncoder encoder, Normalization normalization, string? modelsDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(normalization);
        if (encoder.Variant != EncoderName)
            throw new SharpSegException($"the offline ImageNet weights are for encoder {EncoderName} (ResNet-18 with 3 blocks in layer4), not {encoder.Variant}: set model.encoder: {EncoderName}.");
        int channels = encoder.InChannels;
        if (channels is not (1 or 3)) throw new SharpSegException($"the ImageNet weights need 1- or 3-channel images, but the model has in_channels {channels}.");
        string dir = modelsDirectory ?? Locate();
        var meanRgb = MeanRgb(dir);
        using var raw = ReadWeights(dir);
        float Mean(int c) => normalization.Mean[normalization.Mean.Count == 1 ? 0 : c];
        float Std(int c) => normalization.Std[normalization.Std.Count == 1 ? 0 : c];
        if (normalization.Mean.Count is not 1 && normalization.Mean.Count != channels)
            throw new SharpSegException($"normalisation has {normalization.Mean.Count} mean values for {channels}-channel images.");

        using var scope = NewDisposeScope();
        Tensor w = raw["conv1.weight"];                       // [64, 3 (BGR), 7, 7], expects 255·x − M
        Tensor wRgb = w.flip(1);                               // channel k = R, G, B
        Tensor perChannel = wRgb.sum([2L, 3L]);                // [64, 3]
        Tensor conv1, offset;
        if (channels == 3)
        {
            var scale = torch.tensor(Enumerable.Range(0, 3).Select(c => 255f * Std(c)).ToArray()).reshape(1, 3, 1, 1);
            conv1 = wRgb * scale;
            // Ours computes Σ W·(255x − 255m); the network expects Σ W·(255x − M): the difference is a per-output constant.
            var diff = torch.tensor(Enumerable.Range(0, 3).Select(c => 255f * Mean(c) - meanRgb[c]).ToArray());
            offset = perChannel.matmul(diff);
        }
        else
        {
            conv1 = wRgb.sum(1, keepdim: true) * (255f * Std(0));
            var diff = torch.tensor(Enumerable.Range(0, 3).Select(c => 255f * Mean(0) - meanRgb[c]).ToArray());
            offset = perChannel.matmul(diff);
        }
        // y_expected = y_ours + offset, and BN(y_ours + offset; μ) = BN(y_ours; μ − offset).
        var bnMean = raw["bn1.running_mean"] - offset;
        var entries = raw.Keys.Select(k => (k, k switch
        {
            "conv1.weight" => conv1.contiguous(),
            "bn1.running_mean" => bnMean,
            _ => raw[k],
        })).ToList();
        var adapted = new StateDict(raw.Source, entries);
        var report = LoadExact(encoder, adapted);
        return report with
        {
            Notes = [.. report.Notes, $"stem adapted to RGB normalised with mean [{string.Join(", ", normalization.Mean.Select(m => m.ToString("0.####")))}], std [{string.Join(", ", normalization.Std.Select(s => s.ToString("0.####")))}]"],
        };
    }

    private static StateDictLoadReport LoadExact(ResNetEncoder encoder, StateDict weights)
    {
        var missing = new List<(string, string?)>();
        var mismatched = new List<(string, string, long[], long[])>();
        var used = new HashSet<string>();
        var plan = new List<(Tensor, Tensor)>();
        foreach (var (key, t) in encoder.state_dict())
        {
            if (!weights.TryGet(key, out var source))
            {
                if (!key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) missing.Add(("encoder." + key, key));
                continue;
            }
            used.Add(key);
            if (source.shape.SequenceEqual(t.shape)) plan.Add((t, source));
            else mismatched.Add(("encoder." + key, key, source.shape, t.shape));
        }
        var report = new StateDictLoadReport
        {
            Source = weights.Source, Layout = StateDictLayout.Torchvision, Target = $"encoder {encoder.Variant}",
            Missing = missing, ShapeMismatched = mismatched, Unexpected = weights.Keys.Where(k => !used.Contains(k) && !encoder.LeavesOut(k)).ToList(),
        };
        report.ThrowIfIncomplete();
        using (torch.no_grad())
            foreach (var (t, s) in plan) t.copy_(s.to(t.dtype, t.device));
        int leftOut = weights.Keys.Count(encoder.LeavesOut);
        return report with
        {
            Loaded = plan.Count,
            Notes = leftOut == 0 ? report.Notes : [.. report.Notes, $"{leftOut} tensors of the layers a shortened encoder leaves out (model.encoder_depth) not used"],
        };
    }

    internal static ModelProto ReadOnnx(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or IOException)
        {
            throw new SharpSegException($"{path}: cannot read this ONNX file ({e.Message}); restore the package {PackageId} {PackageVersion} again.");
        }
    }

    internal static float[] Floats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new SharpSegException($"ONNX tensor '{t.Name}' has data type {t.DataType}, expected float.");
        return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
    }
}
