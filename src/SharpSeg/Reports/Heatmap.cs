using System.Globalization;
using SharpSeg.Imaging;
using SkiaSharp;

namespace SharpSeg.Reports;

/// <summary>
/// A matrix of fractions in [0, 1] drawn as coloured cells (white → dark blue) with row and column labels, the value
/// in per cent written in each cell large enough to hold it, and a colour bar; rendered to PNG with SkiaSharp. Used
/// for the row-normalised confusion matrix (rows = ground truth, columns = prediction). A null cell (a row with no
/// data) is drawn light gray.
/// </summary>
public sealed record Heatmap
{
    public required string Title { get; init; }
    public required IReadOnlyList<string> RowLabels { get; init; }
    public required IReadOnlyList<string> ColumnLabels { get; init; }

    /// <summary>[rows, columns] fractions in [0, 1]; null = undefined.</summary>
    public required double?[,] Values { get; init; }

    public string RowTitle { get; init; } = "";
    public string ColumnTitle { get; init; } = "";

    /// <summary>Cells on the diagonal get a dark outline (the correct predictions of a confusion matrix).</summary>
    public bool MarkDiagonal { get; init; } = true;

    static readonly (double At, Rgb Color)[] Stops =
    [
        (0.00, new Rgb(247, 251, 255)), (0.125, new Rgb(222, 235, 247)), (0.25, new Rgb(198, 219, 239)), (0.375, new Rgb(158, 202, 225)),
        (0.50, new Rgb(107, 174, 214)), (0.625, new Rgb(66, 146, 198)), (0.75, new Rgb(33, 113, 181)), (0.875, new Rgb(8, 81, 156)), (1.00, new Rgb(8, 48, 107)),
    ];

    /// <summary>Light gray used for undefined cells.</summary>
    public static readonly Rgb Undefined = new(236, 236, 236);

    /// <summary>The colour of a cell holding <paramref name="value"/> (clamped to [0, 1]): a sequential white → dark blue scale.</summary>
    public static Rgb ColorFor(double value)
    {
        double v = double.IsFinite(value) ? Math.Clamp(value, 0, 1) : 0;
        for (int i = 1; i < Stops.Length; i++)
        {
            if (v > Stops[i].At) continue;
            var (a, ca) = Stops[i - 1];
            var (b, cb) = Stops[i];
            double t = (v - a) / (b - a);
            byte L(byte x, byte y) => (byte)Math.Round(x + (y - x) * t);
            return new Rgb(L(ca.R, cb.R), L(ca.G, cb.G), L(ca.B, cb.B));
        }
        return Stops[^1].Color;
    }

    /// <summary>Renders the heatmap as PNG bytes; cells are square, sized to keep the grid near 520 pixels.</summary>
    public byte[] RenderPng()
    {
        int rows = Values.GetLength(0), cols = Values.GetLength(1);
        if (RowLabels.Count != rows || ColumnLabels.Count != cols)
            throw new ArgumentException($"{RowLabels.Count}x{ColumnLabels.Count} labels for a {rows}x{cols} matrix");
        float cell = Math.Clamp(520f / Math.Max(rows, cols), 14, 48);
        float valueSize = Math.Clamp(cell * 0.3f, 8, 12);
        float rowLabelWidth = RowLabels.Select(l => ChartCanvas.TextWidth(l, 12)).DefaultIfEmpty(0).Max();
        float colLabelWidth = ColumnLabels.Select(l => ChartCanvas.TextWidth(l, 12)).DefaultIfEmpty(0).Max();
        const double angle = 45;
        float colLabelHeight = (float)(colLabelWidth * Math.Sin(angle * Math.PI / 180)) + 14;
        float left = 12 + (RowTitle.Length > 0 ? 22 : 0) + rowLabelWidth + 8, top = 48;
        var grid = new SKRect(left, top, left + cols * cell, top + rows * cell);
        int width = (int)Math.Ceiling(grid.Right + 24 + 16 + 44);
        // Rotated column labels run down-left from their cell, so the picture must also be wide enough on the left.
        float leftOverhang = (float)(colLabelWidth * Math.Cos(angle * Math.PI / 180)) - (left + cell / 2);
        if (leftOverhang > 0) { left += leftOverhang; grid.Offset(leftOverhang, 0); width += (int)Math.Ceiling(leftOverhang); }
        int height = (int)Math.Ceiling(grid.Bottom + colLabelHeight + (ColumnTitle.Length > 0 ? 26 : 8));
        using var c = new ChartCanvas(width, height);
        c.Text(Title, width / 2f, 24, 16, ChartCanvas.Ink, SKTextAlign.Center);

        for (int r = 0; r < rows; r++)
        {
            float y = grid.Top + r * cell;
            c.Text(RowLabels[r], grid.Left - 8, y + cell / 2 + 4, 12, ChartCanvas.Ink, SKTextAlign.Right);
            for (int k = 0; k < cols; k++)
            {
                var rect = new SKRect(grid.Left + k * cell, y, grid.Left + (k + 1) * cell, y + cell);
                double? v = Values[r, k];
                c.Fill(rect, ChartCanvas.ToSk(v is double d ? ColorFor(d) : Undefined));
                if (v is double value && cell >= 20 && value >= 0.005)
                {
                    string text = (100 * value).ToString(value >= 0.995 ? "0" : value >= 0.095 ? "0" : "0.#", CultureInfo.InvariantCulture);
                    c.Text(text, rect.MidX, rect.MidY + valueSize / 3, valueSize, value > 0.55 ? SKColors.White : ChartCanvas.Ink, SKTextAlign.Center);
                }
            }
        }
        for (int k = 0; k <= cols; k++) c.Line(grid.Left + k * cell, grid.Top, grid.Left + k * cell, grid.Bottom, SKColors.White);
        for (int r = 0; r <= rows; r++) c.Line(grid.Left, grid.Top + r * cell, grid.Right, grid.Top + r * cell, SKColors.White);
        if (MarkDiagonal)
            for (int i = 0; i < Math.Min(rows, cols); i++)
                c.Stroke(new SKRect(grid.Left + i * cell + 1, grid.Top + i * cell + 1, grid.Left + (i + 1) * cell - 1, grid.Top + (i + 1) * cell - 1), ChartCanvas.Ink, 1.5f);
        c.Stroke(grid, ChartCanvas.Muted);
        for (int k = 0; k < cols; k++)
            c.RotatedText(ColumnLabels[k], grid.Left + (k + 0.5f) * cell + 4, grid.Bottom + 10, 12, ChartCanvas.Ink, -(float)angle, SKTextAlign.Right);
        if (RowTitle.Length > 0) c.RotatedText(RowTitle, 18, grid.MidY, 13, ChartCanvas.Ink, -90, SKTextAlign.Center);
        if (ColumnTitle.Length > 0) c.Text(ColumnTitle, grid.MidX, height - 8, 13, ChartCanvas.Ink, SKTextAlign.Center);

        // Colour bar: 0 at the bottom, 100 % at the top.
        var bar = new SKRect(grid.Right + 20, grid.Top, grid.Right + 34, grid.Bottom);
        for (int i = 0; i < (int)bar.Height; i++)
            c.Fill(new SKRect(bar.Left, bar.Bottom - i - 1, bar.Right, bar.Bottom - i), ChartCanvas.ToSk(ColorFor(i / Math.Max(1.0, bar.Height - 1))));
        c.Stroke(bar, ChartCanvas.Muted);
        foreach (var t in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
            c.Text((100 * t).ToString("0", CultureInfo.InvariantCulture) + "%", bar.Right + 4, bar.Bottom - (float)t * bar.Height + 4, 10, ChartCanvas.Muted);
        return c.EncodePng();
    }
}
