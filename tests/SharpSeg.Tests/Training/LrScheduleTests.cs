using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Training;

public sealed class LrScheduleTests
{
    [Fact]
    public void PolyCosineStepMatchFormulas()
    {
        var poly = new LrSchedule("poly", 0.01, 100, Power: 0.9);
        Assert.Equal(0.01, poly.At(0), 12);
        Assert.Equal(0.01 * Math.Pow(0.5, 0.9), poly.At(50), 12);
        Assert.Equal(0.0, poly.At(100), 12);
        var cos = new LrSchedule("cosine", 0.02, 10, MinLr: 0.002);
        Assert.Equal(0.002 + 0.018 * 0.5 * (1 + Math.Cos(Math.PI * 0.3)), cos.At(3), 12);
        var step = new LrSchedule("step", 1.0, 100, StepSize: 30, Gamma: 0.5);
        Assert.Equal(1.0, step.At(29)); Assert.Equal(0.5, step.At(30)); Assert.Equal(0.125, step.At(95));
    }

    [Fact]
    public void WarmupRampsLinearlyFromRatio()
    {
        var s = new LrSchedule("constant", 1.0, 100, WarmupIterations: 10, WarmupRatio: 0.1);
        Assert.Equal(0.1, s.At(0), 12);
        Assert.Equal(0.1 + 0.9 * 5 / 10.0, s.At(5), 12);
        Assert.Equal(1.0, s.At(10), 12);
    }

    [Fact]
    public void UnknownKindSuggestsNearest()
    {
        var ex = Assert.Throws<SharpSegException>(() => new LrSchedule("cosin", 1, 10).At(0));
        Assert.Contains("did you mean 'cosine'", ex.Message);
    }
}
