using SkiaSharp;

namespace SharpSeg.Reports;

/// <summary>
/// The typeface charts draw text with. SkiaSharp's Linux "NoDependencies" native library has no font manager (it finds
/// no system font by name, so text would silently not be drawn); the typeface is therefore loaded from a font file:
/// <c>SHARPSEG_FONT</c> if set, else a common sans-serif file (DejaVu, Liberation, Noto, Arial, Segoe UI), else the
/// platform default when it has glyphs, else any .ttf under the usual font folders.
/// </summary>
public static class ChartFont
{
    static readonly Lazy<SKTypeface> Resolved = new(Resolve);

    static readonly string[] Candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/noto/NotoSans-Regular.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/Library/Fonts/Arial.ttf",
        @"C:\Windows\Fonts\segoeui.ttf",
        @"C:\Windows\Fonts\arial.ttf",
    ];

    /// <summary>The chart typeface (loaded once per process).</summary>
    internal static SKTypeface Regular => Resolved.Value;

    /// <summary>False when no font was found: charts are then drawn without text (set SHARPSEG_FONT to a .ttf file).</summary>
    public static bool HasGlyphs => Regular.GlyphCount > 0;

    /// <summary>The family name of the font in use ("" when none was found).</summary>
    public static string FamilyName => Regular.FamilyName ?? "";

    static SKTypeface Resolve()
    {
        string? env = Environment.GetEnvironmentVariable("SHARPSEG_FONT");
        if (!string.IsNullOrWhiteSpace(env) && TryLoad(env) is { } fromEnv) return fromEnv;
        foreach (var path in Candidates)
            if (TryLoad(path) is { } t) return t;
        if (SKTypeface.Default is { GlyphCount: > 0 } platform) return platform;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var dir in new[] { "/usr/share/fonts", "/usr/local/share/fonts", Path.Combine(home, ".local/share/fonts"), Path.Combine(home, ".fonts") })
        {
            if (!Directory.Exists(dir)) continue;
            IEnumerable<string> files;
            try { files = Directory.EnumerateFiles(dir, "*.ttf", SearchOption.AllDirectories).ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            // Prefer an upright sans-serif face.
            foreach (var path in files.OrderBy(f => Score(Path.GetFileName(f))).ThenBy(f => f, StringComparer.Ordinal))
                if (TryLoad(path) is { } t) return t;
        }
        return SKTypeface.Default;
    }

    static int Score(string file)
    {
        int s = 0;
        if (!file.Contains("Sans", StringComparison.OrdinalIgnoreCase)) s += 4;
        if (file.Contains("Mono", StringComparison.OrdinalIgnoreCase)) s += 2;
        foreach (var style in new[] { "Bold", "Italic", "Oblique", "Light", "Condensed" })
            if (file.Contains(style, StringComparison.OrdinalIgnoreCase)) s += 1;
        return s;
    }

    static SKTypeface? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var t = SKTypeface.FromFile(path);
            if (t is { GlyphCount: > 0 }) return t;
            t?.Dispose();
        }
        catch (Exception e) when (e is IOException or ArgumentException) { }
        return null;
    }
}
