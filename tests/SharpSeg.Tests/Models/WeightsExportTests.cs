using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;
using System.Text.Json.Nodes;
using SharpSeg.IO;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using SharpSeg.Pretrained;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Tests.Models;

/// <summary>Checkpoint → safetensors + JSON config (sharpseg, torchvision and encoder-only layouts) → the same logits.</summary>
public sealed class WeightsExportTests
{
    [Fact]
    public void SharpSegLayoutRoundTripsToTheSameLogits()
    {
        var config = new ModelConfig { Architecture = "unet", Encoder = "unet", NumClasses = 3, Depth = 2, BaseWidth = 4 };
        var (ckpt, model) = SavedCheckpoint("export-sharpseg", config);
        string dir = Path.GetDirectoryName(ckpt)!, outPath = Path.Combine(dir, "model.safetensors");
        var (weights, configPath, count) = WeightsExport.ToSafetensors(ckpt, outPath);
        Assert.Equal(model.state_dict().Count, count);
        var json = JsonNode.Parse(File.ReadAllText(configPath))!;
        Assert.Equal("sharpseg-weights", (string?)json["format"]);
        Assert.Equal("sharpseg", (string?)json["layout"]);
        Assert.Equal(3, json["classes"]!.AsArray().Count);
        Assert.Equal(0.5, (double)json["mean"]![0]!);
        Assert.Equal(3, (int)json["model"]!["num_classes"]!);
        var (_, metadata) = Safetensors.Read(weights);
        Assert.Equal("pt", metadata["format"]);

        using var copy = ModelZoo.Create(config);
        PretrainedWeights.LoadModel(copy, weights);
        AssertSameLogits(model, copy);
        model.Dispose();
    }

    [Fact]
    public void TorchvisionLayoutUsesTorchvisionKeysAndLoadsBack()
    {
        var config = new ModelConfig { Architecture = "lraspp", Encoder = "mobilenet_v3_large", NumClasses = 3 };
        var (ckpt, model) = SavedCheckpoint("export-tv", config);
        string outPath = Path.Combine(Path.GetDirectoryName(ckpt)!, "lraspp.safetensors");
        WeightsExport.ToSafetensors(ckpt, outPath, StateDictLayout.TorchvisionSegmentation);
        using var file = StateDict.Load(outPath);
        Assert.Contains("backbone.0.0.weight", file.Keys);
        Assert.Contains("classifier.high_classifier.weight", file.Keys);
        Assert.Equal(StateDictLayout.TorchvisionSegmentation, StateDictKeyMap.Detect(file.Keys));
        using var copy = ModelZoo.Create(config);
        PretrainedWeights.LoadModel(copy, file);
        AssertSameLogits(model, copy);
        model.Dispose();

        var unet = new ModelConfig { Architecture = "unet", Encoder = "unet", NumClasses = 3, Depth = 2, BaseWidth = 4 };
        var (unetCkpt, unetModel) = SavedCheckpoint("export-tv-unet", unet);
        unetModel.Dispose();
        var e = Assert.Throws<SharpSegException>(() => WeightsExport.ToSafetensors(unetCkpt, unetCkpt + ".safetensors", StateDictLayout.TorchvisionSegmentation));
        Assert.Contains("layout sharpseg", e.Message);
    }

    [Fact]
    public void EncoderLayoutIsATorchvisionBackbone()
    {
        var config = new ModelConfig { Architecture = "fpn", Encoder = "resnet18", NumClasses = 2 };
        var (ckpt, model) = SavedCheckpoint("export-encoder", config);
        string outPath = Path.Combine(Path.GetDirectoryName(ckpt)!, "backbone.safetensors");
        var (_, _, count) = WeightsExport.ToSafetensors(ckpt, outPath, StateDictLayout.Torchvision);
        using var file = StateDict.Load(outPath);
        Assert.Equal(model.Encoder.state_dict().Count, count);
        Assert.Contains("layer4.1.bn2.running_var", file.Keys);
        using var encoder = new ResNetEncoder("resnet18");
        PretrainedWeights.LoadEncoder(encoder, file);
        Assert.True(encoder.state_dict()["layer3.0.conv1.weight"].allclose(model.Encoder.state_dict()["layer3.0.conv1.weight"], 0, 0));
        model.Dispose();
    }

    /// <summary>PyTorch itself loads the exported encoder into torchvision's ResNet-18 layout and computes the same maps
    /// (skipped where Debian's python3-torch is not installed).</summary>
    [PythonTorchFact]
    public void PyTorchLoadsTheExportedEncoder()
    {
        var config = new ModelConfig { Architecture = "unet", Encoder = "resnet18", NumClasses = 2 };
        var (ckpt, model) = SavedCheckpoint("export-python", config);
        string dir = Path.GetDirectoryName(ckpt)!, weights = Path.Combine(dir, "encoder.safetensors"), expected = Path.Combine(dir, "expected.safetensors");
        WeightsExport.ToSafetensors(ckpt, weights, StateDictLayout.Torchvision);
        model.eval();
        using (var noGrad = no_grad())
        {
            var x = torch.randn(1, 3, 64, 96);
            var f = model.Encoder.forward(x);
            Safetensors.Write(expected, [("input", x), ("layer1", f[2]), ("layer2", f[3]), ("layer3", f[4]), ("layer4", f[5])]);
        }
        model.Dispose();
        var psi = new System.Diagnostics.ProcessStartInfo(PythonTorchFactAttribute.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(TestPaths.RepoRoot, "tests", "fixtures-scripts", "check_exported_weights.py"), weights, expected, "2,2,2,2" })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stdout + stderr);
        var diffs = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(4, diffs.Count);
        Assert.All(diffs, d => Assert.True(d < 1e-4, $"PyTorch's features differ by {d}: {stdout}"));
    }

    [Fact]
    public void CliExportsAndRefusesUnknownLayoutsInOneLine()
    {
        var config = new ModelConfig { Architecture = "unet", Encoder = "unet", NumClasses = 3, Depth = 2, BaseWidth = 4 };
        var (ckpt, model) = SavedCheckpoint("export-cli", config);
        model.Dispose();
        string outPath = Path.Combine(Path.GetDirectoryName(ckpt)!, "cli.safetensors");
        var ok = CliRunner.Run("export-weights", "--checkpoint", ckpt, "--out", outPath);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.True(File.Exists(outPath) && File.Exists(Path.ChangeExtension(outPath, ".json")));
        var bad = CliRunner.Run("export-weights", "--checkpoint", ckpt, "--out", outPath, "--layout", "timm");
        Assert.Equal(1, bad.ExitCode);
        Assert.Single(bad.StdErr.Trim().Split('\n'));
        Assert.Contains("unknown layout", bad.StdErr);
    }

    private static (string Path, SegmentationModel Model) SavedCheckpoint(string name, ModelConfig config)
    {
        string dir = TestPaths.NewTempDir(name);
        var model = ModelZoo.Create(config);
        using (var noGrad = no_grad())
            foreach (var (key, t) in model.state_dict())
                if (t.is_floating_point() && key.Contains("running_mean")) t.copy_(torch.randn_like(t) * 0.1);
        var info = new CheckpointInfo
        {
            Model = System.Text.Json.JsonSerializer.SerializeToNode(config)!.AsObject(),
            Classes = new ClassTable(Enumerable.Range(0, config.NumClasses).Select(i => new ClassInfo($"c{i}", new Rgb((byte)i, 0, 0), null)).ToList()),
            Mean = [0.5, 0.5, 0.5], Std = [0.25, 0.25, 0.25],
        };
        string path = Path.Combine(dir, "model.ckpt");
        Checkpoint.Save(path, model, info);
        return (path, model);
    }

    private static void AssertSameLogits(SegmentationModel a, SegmentationModel b)
    {
        a.eval(); b.eval();
        using var noGrad = no_grad();
        using var x = torch.randn(1, 3, 40, 56);
        using var la = a.forward(x);
        using var lb = b.forward(x);
        Assert.True(la.allclose(lb, 0, 0), $"logits differ by {(la - lb).abs().max().item<float>()}");
    }
}
