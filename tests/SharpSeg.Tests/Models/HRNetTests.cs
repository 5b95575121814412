using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using SharpSeg.Models.Encoders.HRNet;

namespace SharpSeg.Tests.Models;

public sealed class HRNetTests
{
    // HRNet-Semantic-Segmentation lists HRNetV2-W18-Small-v2 (Cityscapes, 19 classes) at 3.9 M parameters; the exact
    // figure is the official seg_hrnet.py model counted layer by layer by Fixtures/official_parameter_counts.py.
    [Fact]
    public void HRNetW18SmallV2HasTheReferenceParameterCount()
    {
        torch.manual_seed(1);
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "hrnet", Encoder = "hrnet_w18_small", NumClasses = 19 });
        Assert.Equal(3_860_720, ModelZoo.CountParameters(model.Encoder));
        Assert.Equal(3_939_579, ModelZoo.CountParameters(model));
        Assert.Equal(270, model.Decoder.OutChannels);
        Assert.Equal(4, model.Decoder.OutputStride);
    }

    [Fact]
    public void EncoderReturnsTheStemAndFourBranches()
    {
        torch.manual_seed(2);
        using var encoder = new HRNetEncoder();
        Assert.Equal(new[] { 3, 64, 18, 36, 72, 144 }, encoder.OutChannels);
        Assert.Equal(new[] { 1, 2, 4, 8, 16, 32 }, encoder.Strides);
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var maps = encoder.call(randn(1, 3, 64, 96));
        for (int i = 0; i < 6; i++)
            Assert.Equal(new long[] { 1, encoder.OutChannels[i], 64 / encoder.Strides[i], 96 / encoder.Strides[i] }, maps[i].shape);
        Assert.True(maps[5].isfinite().all().item<bool>());
    }

    [Fact]
    public void ParameterNamesMirrorTheOfficialCheckpoint()
    {
        torch.manual_seed(3);
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "hrnet", Encoder = "hrnet_w18_small", NumClasses = 19 });
        var sd = model.state_dict();
        foreach (var key in new[]
        {
            "encoder.conv1.weight", "encoder.bn2.running_mean", "encoder.layer1.0.downsample.0.weight", "encoder.layer1.1.conv3.weight",
            "encoder.transition1.0.0.weight", "encoder.transition1.1.0.0.weight", "encoder.transition2.2.0.1.weight",
            "encoder.transition3.3.0.0.weight", "encoder.stage2.0.branches.1.1.conv2.weight", "encoder.stage3.2.fuse_layers.0.2.0.weight",
            "encoder.stage4.1.fuse_layers.3.0.2.0.weight", "decoder.last_layer.0.bias", "decoder.last_layer.1.running_var",
        })
            Assert.Contains(key, sd.Keys);
        Assert.Equal(3, model.Encoder.named_modules().Count(m => m.name.StartsWith("stage3.", StringComparison.Ordinal) && m.name.Count(c => c == '.') == 1));
        // Fusing into branch 3 from branch 0 takes three stride-2 convs: 18→18, 18→18, 18→144.
        Assert.Equal(new long[] { 144, 18, 3, 3 }, sd["encoder.stage4.1.fuse_layers.3.0.2.0.weight"].shape);
    }

    [Fact]
    public void AuxHeadReadsTheStride16BranchAndTrains()
    {
        torch.manual_seed(4);
        using var model = ModelZoo.Create(new ModelConfig { Architecture = "hrnet", Encoder = "hrnet_w18_small", NumClasses = 3, AuxHead = true });
        Assert.Equal(72, model.Encoder.OutChannels[model.Encoder.AuxStage]);
        using var scope = NewDisposeScope();
        var (logits, aux) = model.ForwardWithAux(randn(2, 3, 45, 70));
        Assert.Equal(new long[] { 2, 3, 45, 70 }, logits.shape);
        Assert.Equal(new long[] { 2, 3, 45, 70 }, aux!.shape);
        Assert.Throws<SharpSegException>(() => ModelZoo.Create(new ModelConfig { Architecture = "hrnet", Encoder = "hrnet_w18_small", OutputStride = 8 }));
        Assert.Equal(new[] { "hrnet_w18_small" }, ModelZoo.ValidEncoders("hrnet"));
    }
}
