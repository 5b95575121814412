using SharpSeg.Imaging;
using SkiaSharp;

namespace SharpSeg.Reports;

/// <summary>A white raster canvas with the text and axis helpers the charts share; encodes to PNG.</summary>
sealed class ChartCanvas : IDisposable
{
    public static readonly SKColor Ink = new(33, 37, 41);
    public static readonly SKColor Muted = new(108, 117, 125);
    public static readonly SKColor Grid = new(222, 226, 230);

    readonly SKSurface _surface;

    public ChartCanvas(int width, int height)
    {
        if (width < 16 || height < 16) throw new ArgumentOutOfRangeException(nameof(width), $"chart size {width}x{height} is too small");
        Width = width; Height = height;
        _surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"cannot create a {width}x{height} drawing surface");
        Canvas = _surface.Canvas;
        Canvas.Clear(SKColors.White);
    }

    public int Width { get; }
    public int Height { get; }
    public SKCanvas Canvas { get; }

    public static SKFont Font(float size) => new(ChartFont.Regular, size) { Subpixel = true, Edging = SKFontEdging.Antialias };

    public static SKColor ToSk(Rgb c) => new(c.R, c.G, c.B);

    public static float TextWidth(string text, float size)
    {
        using var font = Font(size);
        return font.MeasureText(text);
    }

    /// <summary>Draws <paramref name="text"/> with its baseline at <paramref name="y"/>.</summary>
    public void Text(string text, float x, float y, float size, SKColor color, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = Font(size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        Canvas.DrawText(text, x, y, align, font, paint);
    }

    /// <summary>Text rotated by <paramref name="degrees"/> (counter-clockwise negative) about its anchor.</summary>
    public void RotatedText(string text, float x, float y, float size, SKColor color, float degrees, SKTextAlign align)
    {
        Canvas.Save();
        Canvas.Translate(x, y);
        Canvas.RotateDegrees(degrees);
        Text(text, 0, 0, size, color, align);
        Canvas.Restore();
    }

    public void Line(float x0, float y0, float x1, float y1, SKColor color, float width = 1)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = width, IsAntialias = true, Style = SKPaintStyle.Stroke };
        Canvas.DrawLine(x0, y0, x1, y1, paint);
    }

    public void Fill(SKRect rect, SKColor color)
    {
        using var paint = new SKPaint { Color = color, Style = SKPaintStyle.Fill };
        Canvas.DrawRect(rect, paint);
    }

    public void Stroke(SKRect rect, SKColor color, float width = 1)
    {
        using var paint = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = width, IsAntialias = false };
        Canvas.DrawRect(rect, paint);
    }

    public byte[] EncodePng()
    {
        using var image = _surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100) ?? throw new InvalidOperationException("PNG encoding failed");
        return data.ToArray();
    }

    public void Dispose() => _surface.Dispose();
}
