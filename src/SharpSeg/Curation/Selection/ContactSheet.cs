using SharpSeg.IO;
using SkiaSharp;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Curation.Selection;

/// <summary>
/// A PNG that shows a curation run at a glance: the first selected images (green frames, labelled with their rank),
/// the largest near-duplicate groups (the kept representative in a blue frame followed by removed copies in red, with
/// their similarity), and a random sample of candidates that were not selected (grey frames).
/// </summary>
public static class ContactSheet
{
    static readonly SKColor Selected = new(0x2e, 0xa0, 0x43);
    static readonly SKColor Representative = new(0x1f, 0x6f, 0xeb);
    static readonly SKColor Removed = new(0xd0, 0x3a, 0x2f);
    static readonly SKColor Rejected = new(0x9a, 0x9a, 0x9a);

    /// <summary>Writes the contact sheet of <paramref name="result"/> to <paramref name="path"/> (PNG).</summary>
    /// <param name="columns">Tiles per row.</param>
    /// <param name="tileWidth">Tile width in pixels (height 3/4 of it).</param>
    /// <param name="seed">Seed of the sample of images not selected.</param>
    public static void Write(string path, CurationResult result, EmbeddingSet embeddings, int columns = 8, int tileWidth = 160, int seed = 0)
    {
        int tw = tileWidth, th = tileWidth * 3 / 4, gap = 6, titleH = 24, margin = 10;
        var sections = new List<(string Title, List<List<(int Row, SKColor Colour, string Label)>> Rows)>();

        var sel = result.Selected.Take(2 * columns).Select(s => (s.Row, Selected, $"#{s.Rank}")).ToList();
        if (sel.Count > 0) sections.Add(($"selected ({result.Selected.Count}; first {sel.Count} in pick order)", Chunk(sel, columns)));

        if (result.Dedupe is { Groups.Count: > 0 } d)
        {
            var rows = d.Groups.Take(5).Select(g =>
            {
                var row = new List<(int, SKColor, string)> { (g.Representative, Representative, $"kept, {g.Size} in group") };
                row.AddRange(g.Members.Take(columns - 1).Select((m, k) => (m, Removed, $"cos {g.Similarities[k]:0.000}")));
                return row;
            }).ToList();
            sections.Add(($"near-duplicates: {d.Removed} removed in {d.Groups.Count} groups (largest shown; blue kept, red removed)", rows));
        }

        var chosen = new HashSet<int>(result.Selected.Select(s => s.Row).Concat(result.Labelled));
        var notSelected = Enumerable.Range(0, embeddings.Count)
            .Where(i => !chosen.Contains(i) && (result.Dedupe == null || !result.Dedupe.IsRemoved(i))).ToArray();
        new Random(seed).Shuffle(notSelected);
        var rej = notSelected.Take(2 * columns).OrderBy(i => i).Select(i => (i, Rejected, "")).ToList();
        if (rej.Count > 0) sections.Add(($"not selected ({notSelected.Length}; random sample)", Chunk(rej, columns)));

        int width = 2 * margin + columns * tw + (columns - 1) * gap;
        int height = margin + sections.Sum(s => titleH + s.Rows.Count * (th + gap)) + margin;
        using var bitmap = new SKBitmap(new SKImageInfo(width, Math.Max(height, 2 * margin + titleH), SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        var typeface = Typeface.Value;
        using var font = new SKFont(typeface, 14);
        using var small = new SKFont(typeface, 11);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var labelBack = new SKPaint { Color = new SKColor(0, 0, 0, 160) };
        using var labelText = new SKPaint { Color = SKColors.White, IsAntialias = true };
        int y = margin;
        foreach (var (title, rows) in sections)
        {
            canvas.DrawText(title, margin, y + 17, SKTextAlign.Left, font, text);
            y += titleH;
            foreach (var row in rows)
            {
                int x = margin;
                foreach (var (r, colour, label) in row)
                {
                    DrawTile(canvas, embeddings.FullPath(r), new SKRect(x, y, x + tw, y + th), colour);
                    if (label.Length > 0 && typeface.GlyphCount > 0)
                    {
                        canvas.DrawRect(new SKRect(x + 3, y + th - 18, x + 3 + small.MeasureText(label) + 6, y + th - 3), labelBack);
                        canvas.DrawText(label, x + 6, y + th - 6, SKTextAlign.Left, small, labelText);
                    }
                    x += tw + gap;
                }
                y += th + gap;
            }
        }
        AtomicFile.Write(path, s =>
        {
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Png, 100) ?? throw new SharpSegException($"{path}: PNG encoding failed.");
            data.SaveTo(s);
        });
    }

    /// <summary>SkiaSharp's default typeface, or (where SkiaSharp is built without a font manager, as on Linux without
    /// fontconfig) a sans-serif font file from the usual font folders; without any font the sheet has frames but no text.</summary>
    static readonly Lazy<SKTypeface> Typeface = new(() =>
    {
        if (SKTypeface.Default.GlyphCount > 0) return SKTypeface.Default;
        string[] preferred = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf", "Helvetica.ttc", "NotoSans-Regular.ttf"];
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] dirs = ["/usr/share/fonts", "/usr/local/share/fonts", Path.Combine(home, ".fonts"), Path.Combine(home, ".local/share/fonts"),
            "/System/Library/Fonts", "/Library/Fonts", Environment.GetFolderPath(Environment.SpecialFolder.Fonts)];
        var files = dirs.Where(d => d.Length > 0 && Directory.Exists(d))
            .SelectMany(d => { try { return Directory.EnumerateFiles(d, "*.tt?", SearchOption.AllDirectories).ToList(); } catch (IOException) { return []; } catch (UnauthorizedAccessException) { return []; } })
            .ToList();
        foreach (var path in preferred.Select(p => files.FirstOrDefault(f => Path.GetFileName(f) == p)).Where(f => f != null)
            .Concat(files.OrderBy(f => f, StringComparer.Ordinal)))
        {
            var t = SKTypeface.FromFile(path!);
            if (t is { GlyphCount: > 0 }) return t;
            t?.Dispose();
        }
        return SKTypeface.Default;
    });

    static List<List<T>> Chunk<T>(List<T> items, int size) => items.Chunk(size).Select(c => c.ToList()).ToList();

    // A missing, damaged or oversized image is drawn as a grey tile (ImageFile checks the size before pixels are allocated).
    static SKBitmap? DecodeOrNull(string imagePath)
    {
        try
        {
            if (Imaging.ImageFile.IsOwnFormat(imagePath)) return Reports.ReportImages.ToBitmap(Imaging.ImageFile.Load(imagePath));
            using var codec = Imaging.ImageFile.OpenCodec(imagePath);
            return SKBitmap.Decode(codec);
        }
        catch (SharpSegException) { return null; }
    }

    static void DrawTile(SKCanvas canvas, string imagePath, SKRect cell, SKColor colour)
    {
        const float border = 3;
        using var frame = new SKPaint { Color = colour };
        canvas.DrawRect(cell, frame);
        var inner = new SKRect(cell.Left + border, cell.Top + border, cell.Right - border, cell.Bottom - border);
        using var bitmap = DecodeOrNull(imagePath);
        if (bitmap == null)
        {
            using var grey = new SKPaint { Color = SKColors.LightGray };
            canvas.DrawRect(inner, grey);
            return;
        }
        float scale = Math.Min(inner.Width / bitmap.Width, inner.Height / bitmap.Height);
        float w = bitmap.Width * scale, h = bitmap.Height * scale;
        var dest = new SKRect(inner.MidX - w / 2, inner.MidY - h / 2, inner.MidX + w / 2, inner.MidY + h / 2);
        using var back = new SKPaint { Color = SKColors.WhiteSmoke };
        canvas.DrawRect(inner, back);
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
    }
}
