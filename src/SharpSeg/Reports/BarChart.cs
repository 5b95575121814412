using System.Globalization;
using SharpSeg.Imaging;
using SkiaSharp;

namespace SharpSeg.Reports;

/// <summary>
/// A horizontal bar chart, one labelled bar per row (e.g. IoU per class, pixel share per class, images per size),
/// rendered to PNG with SkiaSharp. A null value is drawn as "n/a" with no bar. The height follows the row count.
/// </summary>
public sealed record BarChart
{
    public required string Title { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required IReadOnlyList<double?> Values { get; init; }

    /// <summary>One colour per bar (e.g. the class colours); null = one neutral blue.</summary>
    public IReadOnlyList<Rgb>? Colors { get; init; }

    public string XLabel { get; init; } = "";

    /// <summary>The value at the right end of the axis; null = the largest value.</summary>
    public double? Max { get; init; }

    /// <summary>Values are fractions shown as percentages (0.25 → "25.0 %").</summary>
    public bool Percent { get; init; }

    /// <summary>Decimals of the value written after each bar.</summary>
    public int Decimals { get; init; } = 1;

    const float RowHeight = 24, Top = 44;

    /// <summary>Renders the chart as PNG bytes, <paramref name="width"/> pixels wide.</summary>
    public byte[] RenderPng(int width = 760)
    {
        if (Labels.Count != Values.Count) throw new ArgumentException($"{Labels.Count} labels for {Values.Count} values");
        if (Colors != null && Colors.Count != Values.Count) throw new ArgumentException($"{Colors.Count} colours for {Values.Count} values");
        int rows = Values.Count;
        float bottomMargin = 34 + (XLabel.Length > 0 ? 16 : 0);
        int height = (int)Math.Ceiling(Top + Math.Max(1, rows) * RowHeight + bottomMargin);
        using var c = new ChartCanvas(width, height);
        c.Text(Title, width / 2f, 24, 16, ChartCanvas.Ink, SKTextAlign.Center);
        if (rows == 0)
        {
            c.Text("no data", width / 2f, Top + 16, 13, ChartCanvas.Muted, SKTextAlign.Center);
            return c.EncodePng();
        }
        double max = Max ?? Values.Where(v => v.HasValue && double.IsFinite(v.Value)).Select(v => v!.Value).DefaultIfEmpty(1).Max();
        if (max <= 0) max = 1;
        double[] ticks = AxisTicks.Nice(0, max, 6);
        if (Max == null) max = ticks[^1];
        ticks = ticks.Where(t => t >= 0 && t <= max + 1e-12).ToArray();
        double step = ticks.Length > 1 ? ticks[1] - ticks[0] : max;

        float labelWidth = Labels.Select(l => ChartCanvas.TextWidth(l, 12)).Max();
        string longestValue = Percent ? "100.0 %" : Format(max);
        float left = 12 + labelWidth + 8, right = width - 16 - ChartCanvas.TextWidth(longestValue, 11) - 6;
        var plot = new SKRect(left, Top, right, Top + rows * RowHeight);
        float X(double v) => (float)(plot.Left + Math.Clamp(v / max, 0, 1) * plot.Width);

        foreach (var t in ticks)
        {
            c.Line(X(t), plot.Top, X(t), plot.Bottom, ChartCanvas.Grid);
            string label = Percent ? (100 * t).ToString("0.##", CultureInfo.InvariantCulture) + " %" : AxisTicks.Format(t, step);
            c.Text(label, X(t), plot.Bottom + 16, 11, ChartCanvas.Muted, SKTextAlign.Center);
        }
        for (int i = 0; i < rows; i++)
        {
            float y0 = plot.Top + i * RowHeight, mid = y0 + RowHeight / 2;
            c.Text(Labels[i], left - 8, mid + 4, 12, ChartCanvas.Ink, SKTextAlign.Right);
            double? v = Values[i];
            if (v is not double value || !double.IsFinite(value))
            {
                c.Text("n/a", plot.Left + 4, mid + 4, 11, ChartCanvas.Muted);
                continue;
            }
            var bar = new SKRect(plot.Left, y0 + 4, Math.Max(plot.Left + 1, X(value)), y0 + RowHeight - 4);
            c.Fill(bar, Colors == null ? new SKColor(52, 101, 164) : ChartCanvas.ToSk(Colors[i]));
            c.Stroke(bar, new SKColor(60, 60, 60));
            c.Text(Percent ? Format(100 * value) + " %" : Format(value), bar.Right + 5, mid + 4, 11, ChartCanvas.Ink);
        }
        c.Line(plot.Left, plot.Top, plot.Left, plot.Bottom, ChartCanvas.Muted);
        if (XLabel.Length > 0) c.Text(XLabel, plot.MidX, height - 8, 12, ChartCanvas.Ink, SKTextAlign.Center);
        return c.EncodePng();
    }

    string Format(double v) => v.ToString("F" + Decimals, CultureInfo.InvariantCulture);
}
