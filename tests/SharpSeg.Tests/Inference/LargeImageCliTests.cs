using System.Text.RegularExpressions;
using SharpSeg.Imaging;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeg.Tests.Inference;

/// <summary>End-to-end tiled prediction of an 8000×8000 image in a separate process, whose peak memory the CLI reports.</summary>
[Collection(SequentialCollection.Name)]
public sealed class LargeImageCliTests(ITestOutputHelper output)
{
    /// <summary>Stated ceiling for `sharpseg predict --tile 512` on an 8000×8000 RGB image (11 classes or fewer):
    /// the process (libtorch ≈ 0.3 GB) + the decoded image (192 MB) + mask, colour mask and overlay (64 + 192 + 192 MB)
    /// + one band of tile-row accumulators stays under 2 GiB, where whole-image stitching alone would need
    /// (C + 1) · H · W · 4 bytes (1.5 GB for 6 classes) on top of the network's activations at 8000×8000.</summary>
    const long CeilingMiB = 2048;

    [Fact]
    public void An8000ImageIsSegmentedTiledWithinTheStatedMemory()
    {
        string run = TestPaths.NewTempDir("large-run");
        var trained = Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 2)), run).Run();
        const int size = 8000;
        var image = new RgbImage(size, size, 3);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int i = (y * size + x) * 3;
                image.Pixels[i] = (byte)(x >> 5); image.Pixels[i + 1] = (byte)(y >> 5); image.Pixels[i + 2] = (byte)(((x >> 9) + (y >> 9)) % 2 * 200);
            }
        string inputs = TestPaths.NewTempDir("large-in"), outDir = TestPaths.NewTempDir("large-out");
        ImageFile.SavePng(image, Path.Combine(inputs, "big.png"));
        image = null!;

        var r = CliRunner.Run("predict", "--checkpoint", trained.BestCheckpoint, "--input", Path.Combine(inputs, "big.png"), "--out", outDir, "--tile", "512");
        output.WriteLine(r.StdOut);
        Assert.True(r.ExitCode == 0, r.ToString());
        var peak = Regex.Match(r.StdOut, @"peak memory (\d+) MiB");
        Assert.True(peak.Success, r.StdOut);
        long peakMiB = long.Parse(peak.Groups[1].Value);
        Assert.True(peakMiB < CeilingMiB, $"peak memory {peakMiB} MiB exceeds the stated {CeilingMiB} MiB");
        var header = PngCodec.ReadHeader(Path.Combine(outDir, "big_mask.png"));
        Assert.NotNull(header);
        Assert.Equal((size, size), (header!.Width, header.Height));
        Assert.Contains("\"tiles\": 441", File.ReadAllText(Path.Combine(outDir, "big_summary.json")));
    }
}
