using SharpSeg.Imaging;
using SharpSeg.Reports;
using SkiaSharp;
using Xunit;

namespace SharpSeg.Tests.Reports;

public sealed class ChartTests
{
    [Theory]
    [InlineData(0, 1, 6, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
    [InlineData(10, 1200, 8, new[] { 0.0, 200, 400, 600, 800, 1000, 1200 })]
    [InlineData(0.31, 0.57, 6, new[] { 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60 })]
    [InlineData(-3, 7, 6, new[] { -4.0, -2, 0, 2, 4, 6, 8 })]
    public void NiceTicksCoverTheRangeInOneTwoFiveSteps(double min, double max, int target, double[] expected)
    {
        var ticks = AxisTicks.Nice(min, max, target);
        Assert.Equal(expected.Length, ticks.Length);
        for (int i = 0; i < ticks.Length; i++) Assert.Equal(expected[i], ticks[i], 9);
    }

    [Fact]
    public void NiceTicksSurviveADegenerateRange()
    {
        var ticks = AxisTicks.Nice(5, 5);
        Assert.True(ticks.Length >= 2 && ticks[0] <= 5 && ticks[^1] >= 5);
        Assert.Equal([0.0, 1.0], AxisTicks.Nice(double.NaN, 1));
    }

    [Theory]
    [InlineData(0.0005, 0.0005, "0.0005")]
    [InlineData(0.0015, 0.0005, "0.0015")]
    [InlineData(2e-5, 1e-5, "2e-5")]
    [InlineData(0, 1e-5, "0")]
    [InlineData(1200, 200, "1200")]
    [InlineData(0.4, 0.2, "0.4")]
    [InlineData(2.5, 0.5, "2.5")]
    public void TickLabelsUseTheDecimalsTheStepNeeds(double value, double step, string expected) =>
        Assert.Equal(expected, AxisTicks.Format(value, step));

    [Fact]
    public void HeatmapScaleRunsFromWhiteToDarkBlueAndDarkensMonotonically()
    {
        Assert.Equal(new Rgb(247, 251, 255), Heatmap.ColorFor(0));
        Assert.Equal(new Rgb(8, 48, 107), Heatmap.ColorFor(1));
        Assert.Equal(Heatmap.ColorFor(1), Heatmap.ColorFor(3));
        Assert.Equal(Heatmap.ColorFor(0), Heatmap.ColorFor(double.NaN));
        double previous = double.MaxValue;
        for (int i = 0; i <= 100; i++)
        {
            var c = Heatmap.ColorFor(i / 100.0);
            double luma = 0.299 * c.R + 0.587 * c.G + 0.114 * c.B;
            Assert.True(luma <= previous + 1e-9, $"luma rises at {i} %");
            previous = luma;
        }
    }

    [Fact]
    public void LineChartDrawsItsSeriesAndTitle()
    {
        var red = new Rgb(214, 39, 40);
        var png = new LineChart
        {
            Title = "loss", XLabel = "iteration", YLabel = "loss",
            Series = [new ChartSeries("loss", [0, 1, 2, 3], [2.0, 1.5, double.NaN, 0.5], red, 3f, Markers: true)],
        }.RenderPng(400, 240);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((400, 240), (bitmap.Width, bitmap.Height));
        Assert.True(Count(bitmap, c => Near(c, red)) > 50, "the series colour is missing");
        if (ChartFont.HasGlyphs) Assert.True(Count(bitmap, c => c.Red < 90 && c.Green < 90 && c.Blue < 90, maxY: 34) > 10, "the title was not drawn");
    }

    [Fact]
    public void LineChartWithoutDataSaysSo()
    {
        var png = new LineChart { Title = "Validation", Series = [new ChartSeries("mIoU", [], [], new Rgb(1, 2, 3))] }.RenderPng(300, 200);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(300, bitmap.Width);
    }

    [Fact]
    public void BarChartColoursEachBarAndDrawsNoBarForNa()
    {
        Rgb a = new(200, 30, 30), b = new(30, 160, 30), na = new(30, 30, 200);
        var png = new BarChart { Title = "IoU", Labels = ["a", "b", "c"], Values = [0.9, 0.3, null], Colors = [a, b, na], Max = 1, Percent = true }.RenderPng(500);
        using var bitmap = SKBitmap.Decode(png);
        int ca = Count(bitmap, c => Near(c, a)), cb = Count(bitmap, c => Near(c, b));
        Assert.True(ca > 2.5 * cb && cb > 100, $"bar areas {ca} and {cb} do not follow 0.9 : 0.3");
        Assert.Equal(0, Count(bitmap, c => Near(c, na)));
        Assert.Throws<ArgumentException>(() => new BarChart { Title = "x", Labels = ["a"], Values = [1, 2] }.RenderPng());
    }

    [Fact]
    public void HeatmapCellsTakeTheScaleColours()
    {
        var png = new Heatmap { Title = "confusion", RowLabels = ["a", "b"], ColumnLabels = ["a", "b"], Values = new double?[,] { { 1, 0 }, { null, null } } }.RenderPng();
        using var bitmap = SKBitmap.Decode(png);
        Assert.True(Count(bitmap, c => Near(c, Heatmap.ColorFor(1), 0)) > 500, "the 100 % cell is missing");
        Assert.True(Count(bitmap, c => Near(c, Heatmap.Undefined, 0)) > 500, "the undefined row is missing");
    }

    static bool Near(SKColor c, Rgb want, int tolerance = 6) =>
        Math.Abs(c.Red - want.R) <= tolerance && Math.Abs(c.Green - want.G) <= tolerance && Math.Abs(c.Blue - want.B) <= tolerance;

    static int Count(SKBitmap bitmap, Func<SKColor, bool> match, int maxY = int.MaxValue)
    {
        int n = 0;
        for (int y = 0; y < Math.Min(bitmap.Height, maxY); y++)
            for (int x = 0; x < bitmap.Width; x++)
                if (match(bitmap.GetPixel(x, y))) n++;
        return n;
    }
}
