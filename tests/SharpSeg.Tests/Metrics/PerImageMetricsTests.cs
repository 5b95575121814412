using SharpSeg.Metrics;
using TorchSharp;
using Xunit;

namespace SharpSeg.Tests.Metrics;

public sealed class PerImageMetricsTests
{
    [Fact]
    public void EachImageGetsItsOwnMeanIoU()
    {
        // 3 images of 2×2, 3 classes:
        //   image 0: target 0 0 1 1, prediction 0 0 1 1 → IoU0 = IoU1 = 1, class 2 n/a → 1
        //   image 1: target 0 0 0 1, prediction 0 0 1 1 → IoU0 = 2/3, IoU1 = 1/2, class 2 n/a → 7/12
        //   image 2: all ignored → null
        using var t = torch.tensor(new long[] { 0, 0, 1, 1, 0, 0, 0, 1, 255, 255, 255, 255 }).reshape(3, 2, 2);
        using var p = torch.tensor(new long[] { 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 2 }).reshape(3, 2, 2);
        var m = PerImageMetrics.MeanIoU(p, t, numClasses: 3);
        Assert.Equal(1.0, m[0]!.Value, 12);
        Assert.Equal(7.0 / 12, m[1]!.Value, 12);
        Assert.Null(m[2]);
        Assert.Equal(m, PerImageMetrics.MeanIoU(p, t, numClasses: 3)); // inputs still alive and unchanged
    }
}
