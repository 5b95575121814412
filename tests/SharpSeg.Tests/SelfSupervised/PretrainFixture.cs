using SharpSeg.Data.Synthetic;
using SharpSeg.Imaging;
using SharpSeg.Models;
using SharpSeg.SelfSupervised;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>Generated scenes shared by the pretraining tests: labelled samples in memory and their images in a folder.</summary>
public static class PretrainFixture
{
    /// <summary>64 train and 48 val scenes of 64×64 (6 classes).</summary>
    public static SyntheticSceneOptions Scenes { get; } = new() { Train = 64, Val = 48, Width = 64, Height = 64, Seed = 11 };

    static readonly Lazy<List<SharpSeg.Data.Loading.SegmentationSample>> train = new(() => SyntheticSceneGenerator.Generate(Scenes, "train").ToList());
    static readonly Lazy<List<SharpSeg.Data.Loading.SegmentationSample>> val = new(() => SyntheticSceneGenerator.Generate(Scenes, "val").ToList());

    public static IReadOnlyList<SharpSeg.Data.Loading.SegmentationSample> Train => train.Value;
    public static IReadOnlyList<SharpSeg.Data.Loading.SegmentationSample> Val => val.Value;

    static readonly Lazy<string> folder = TestPaths.SharedLazy(() =>
    {
        string dir = Path.Combine(TestPaths.NewTempDir("pretrain-images"), "images");
        Directory.CreateDirectory(dir);
        foreach (var s in Train) ImageFile.SavePng(s.Image, Path.Combine(dir, s.Id + ".png"));
        return dir;
    });

    /// <summary>A folder holding the 64 training images as PNG (no masks).</summary>
    public static string ImageFolder => folder.Value;

    /// <summary>A plain U-Net encoder small enough for tests: widths 8, 16, 32, 64; output stride 8.</summary>
    public static ModelConfig TinyEncoder { get; } = new() { Encoder = "unet", InChannels = 3, Depth = 3, BaseWidth = 8 };

    /// <summary>Options for a short, single-threaded run on <see cref="ImageFolder"/>.</summary>
    public static PretrainOptions Options(PretrainMethod method, long iterations) => new()
    {
        Images = [ImageFolder], Encoder = TinyEncoder, Method = method, Iterations = iterations, BatchSize = 16, Crop = [48, 48],
        Lr = 0.003, HiddenDim = 64, ProjectionDim = 32, Workers = 2, LogEvery = 1, SaveEvery = 0, Seed = 1, Threads = 1,
    };
}
