using SharpSeg.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Models;

public sealed class FlopCounterTests
{
    [Fact]
    public void CountsConvBatchNormAndLinearByHand()
    {
        // conv 3→8, 3×3, stride 2, pad 1 on 1×3×16×16: output 8×8×8 = 512 values × (3·3·3 = 27) = 13,824 MACs;
        // BN: 512; grouped conv 8→8, 3×3, groups 4: 512 × (2·3·3) = 9,216; linear 8·8·8 = 512 → 10: 5,120.
        using var model = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size: 3, stride: 2, padding: 1),
            nn.BatchNorm2d(8),
            nn.Conv2d(8, 8, kernel_size: 3, padding: 1, groups: 4),
            nn.Flatten(),
            nn.Linear(512, 10));
        using var x = randn(1, 3, 16, 16);
        Assert.Equal(13_824 + 512 + 9_216 + 5_120, FlopCounter.CountMacs(model, x));
        Assert.True(model.training); // restored
    }

    [Fact]
    public void CountsLinearOnChannelsLastMapsAndLayerNorm()
    {
        // Linear 4→6 on [2, 3, 5, 4]: 2·3·5 = 30 rows × 6 outputs × 4 inputs = 720 MACs; LayerNorm(6): 180 outputs.
        using var model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6));
        using var x = randn(2, 3, 5, 4);
        Assert.Equal(720 + 180, FlopCounter.CountMacs(model, x));
    }

    [Fact]
    public void SeesTheLayersInsideASegmentationModel()
    {
        // Tiny plain U-Net depth 1, width 2, no BN, 1 class on 1×1×4×4:
        // encoder stage0 conv 1→2 (16·2·9 = 288) + conv 2→2 (16·2·18 = 576); stage1 at 2×2: 2→4 (4·4·18 = 288) + 4→4 (4·4·36 = 576);
        // decoder block at 4×4: conv (4+2)→2 (16·2·54 = 1,728) + conv 2→2 (576); head 2→1 (16·1·2 = 32). Total 4,064.
        using var model = ModelZoo.Create(new ModelConfig { InChannels = 1, NumClasses = 1, Depth = 1, BaseWidth = 2, BatchNorm = false });
        using var x = randn(1, 1, 4, 4);
        Assert.Equal(4_064, FlopCounter.CountMacs(model, x));
    }
}
