using SkiaSharp;

namespace SharpSeg.Reports;

/// <summary>
/// A line chart (x: e.g. iteration; y: loss, mIoU, learning rate) rendered to PNG with SkiaSharp: title, axis labels,
/// 1-2-5 ticks, grid, legend. The y range is the data's unless <see cref="YMin"/>/<see cref="YMax"/> fix it.
/// </summary>
public sealed record LineChart
{
    public required string Title { get; init; }
    public string XLabel { get; init; } = "";
    public string YLabel { get; init; } = "";
    public required IReadOnlyList<ChartSeries> Series { get; init; }
    public double? YMin { get; init; }
    public double? YMax { get; init; }
    public double? XMin { get; init; }
    public double? XMax { get; init; }

    /// <summary>x is a count (iterations): no fractional ticks.</summary>
    public bool XWholeNumbers { get; init; }

    /// <summary>Renders the chart as PNG bytes of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public byte[] RenderPng(int width = 900, int height = 420)
    {
        using var c = new ChartCanvas(width, height);
        c.Text(Title, width / 2f, 24, 16, ChartCanvas.Ink, SKTextAlign.Center);
        var points = Series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        if (points.Count == 0)
        {
            c.Text("no data yet", width / 2f, height / 2f, 13, ChartCanvas.Muted, SKTextAlign.Center);
            return c.EncodePng();
        }
        double xMin = XMin ?? points.Min(p => p.First), xMax = XMax ?? points.Max(p => p.First);
        double yMin = YMin ?? points.Min(p => p.Second), yMax = YMax ?? points.Max(p => p.Second);
        double[] yTicks = AxisTicks.Nice(yMin, yMax, 6);
        if (YMin == null) yMin = yTicks[0];
        if (YMax == null) yMax = yTicks[^1];
        yTicks = yTicks.Where(t => t >= yMin - 1e-12 && t <= yMax + 1e-12).ToArray();
        if (xMax <= xMin) { xMin -= 1; xMax += 1; }
        double[] xTicks = AxisTicks.Nice(xMin, xMax, 8).Where(t => t >= xMin - 1e-9 && t <= xMax + 1e-9).ToArray();
        if (XWholeNumbers) xTicks = xTicks.Where(t => Math.Abs(t - Math.Round(t)) < 1e-9).ToArray();
        double yStep = yTicks.Length > 1 ? yTicks[1] - yTicks[0] : Math.Max(1e-12, yMax - yMin);
        double xStep = xTicks.Length > 1 ? xTicks[1] - xTicks[0] : Math.Max(1e-12, xMax - xMin);

        float labelWidth = yTicks.Select(t => ChartCanvas.TextWidth(AxisTicks.Format(t, yStep), 11)).DefaultIfEmpty(20).Max();
        float left = 14 + (YLabel.Length > 0 ? 18 : 0) + labelWidth + 6, right = width - 18, top = 40, bottom = height - 30 - (XLabel.Length > 0 ? 16 : 0);
        var plot = new SKRect(left, top, right, bottom);
        float X(double v) => (float)(plot.Left + (v - xMin) / (xMax - xMin) * plot.Width);
        float Y(double v) => (float)(plot.Bottom - (v - yMin) / (yMax - yMin) * plot.Height);

        foreach (var t in yTicks)
        {
            c.Line(plot.Left, Y(t), plot.Right, Y(t), ChartCanvas.Grid);
            c.Text(AxisTicks.Format(t, yStep), plot.Left - 6, Y(t) + 4, 11, ChartCanvas.Muted, SKTextAlign.Right);
        }
        foreach (var t in xTicks)
        {
            c.Line(X(t), plot.Top, X(t), plot.Bottom, ChartCanvas.Grid);
            c.Text(AxisTicks.Format(t, xStep), X(t), plot.Bottom + 16, 11, ChartCanvas.Muted, SKTextAlign.Center);
        }
        c.Stroke(plot, ChartCanvas.Muted);
        if (XLabel.Length > 0) c.Text(XLabel, plot.MidX, height - 10, 12, ChartCanvas.Ink, SKTextAlign.Center);
        if (YLabel.Length > 0) c.RotatedText(YLabel, 16, plot.MidY, 12, ChartCanvas.Ink, -90, SKTextAlign.Center);

        c.Canvas.Save();
        c.Canvas.ClipRect(new SKRect(plot.Left - 4, plot.Top - 4, plot.Right + 4, plot.Bottom + 4));
        foreach (var s in Series)
        {
            using var paint = new SKPaint { Color = ChartCanvas.ToSk(s.Color), StrokeWidth = s.LineWidth, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round, StrokeCap = SKStrokeCap.Round };
            int n = Math.Min(s.X.Count, s.Y.Count);
            int stride = Math.Max(1, n / (int)Math.Max(1, plot.Width * 2));
            var run = new List<SKPoint>();
            void Flush()
            {
                if (run.Count > 1) c.Canvas.DrawPoints(SKPointMode.Polygon, run.ToArray(), paint);
                run.Clear();
            }
            for (int i = 0; i < n; i += stride)
            {
                double x = s.X[i], y = s.Y[i];
                if (!double.IsFinite(x) || !double.IsFinite(y)) { Flush(); continue; }
                run.Add(new SKPoint(X(x), Y(y)));
            }
            Flush();
            if (s.Markers)
            {
                using var dot = new SKPaint { Color = ChartCanvas.ToSk(s.Color), IsAntialias = true, Style = SKPaintStyle.Fill };
                for (int i = 0; i < n; i++)
                    if (double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i])) c.Canvas.DrawCircle(X(s.X[i]), Y(s.Y[i]), 3.2f, dot);
            }
        }
        c.Canvas.Restore();

        var named = Series.Where(s => s.Name.Length > 0).ToList();
        if (named.Count > 0)
        {
            float w = named.Max(s => ChartCanvas.TextWidth(s.Name, 11)) + 36, h = 8 + 16 * named.Count;
            // The corner whose legend box covers the fewest data points.
            var corners = new[]
            {
                new SKRect(plot.Right - w - 8, plot.Top + 8, plot.Right - 8, plot.Top + 8 + h),
                new SKRect(plot.Right - w - 8, plot.Bottom - 8 - h, plot.Right - 8, plot.Bottom - 8),
                new SKRect(plot.Left + 8, plot.Top + 8, plot.Left + 8 + w, plot.Top + 8 + h),
                new SKRect(plot.Left + 8, plot.Bottom - 8 - h, plot.Left + 8 + w, plot.Bottom - 8),
            };
            // Points along the drawn lines, not only the data points: a sparse series' segments must stay visible too.
            var screen = new List<SKPoint>();
            foreach (var s in Series)
            {
                SKPoint? prev = null;
                for (int i = 0; i < Math.Min(s.X.Count, s.Y.Count); i++)
                {
                    if (!double.IsFinite(s.X[i]) || !double.IsFinite(s.Y[i])) { prev = null; continue; }
                    var p = new SKPoint(X(s.X[i]), Y(s.Y[i]));
                    if (prev is SKPoint q)
                        for (int k = 1; k < 16; k++) screen.Add(new SKPoint(q.X + (p.X - q.X) * k / 16, q.Y + (p.Y - q.Y) * k / 16));
                    screen.Add(p);
                    prev = p;
                }
            }
            var box = corners.OrderBy(r => screen.Count(p => p.X >= r.Left - 6 && p.X <= r.Right + 6 && p.Y >= r.Top - 6 && p.Y <= r.Bottom + 6)).First();
            for (int i = 0; i < named.Count; i++)
            {
                float y = box.Top + 12 + 16 * i;
                c.Line(box.Left + 6, y, box.Left + 24, y, ChartCanvas.ToSk(named[i].Color), 2.5f);
                c.Text(named[i].Name, box.Left + 30, y + 4, 11, ChartCanvas.Ink);
            }
        }
        return c.EncodePng();
    }
}
