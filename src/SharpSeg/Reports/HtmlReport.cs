using System.Globalization;
using System.Net;
using System.Text;
using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Reports;

/// <summary>
/// Builds one self-contained HTML page: inline CSS, every picture embedded as a data: URI, no script and nothing
/// fetched from anywhere, so the file can be mailed or archived on its own.
/// </summary>
sealed class HtmlReport
{
    readonly StringBuilder _body = new();
    readonly string _title;
    bool _inSection;

    public HtmlReport(string title) { _title = title; }

    public static string E(string text) => WebUtility.HtmlEncode(text);

    public static string Pct(double? v, int decimals = 1) =>
        v is double d ? (100 * d).ToString("F" + decimals, CultureInfo.InvariantCulture) + " %" : "n/a";

    public static string Css(Rgb c) => $"rgb({c.R},{c.G},{c.B})";

    public HtmlReport Raw(string html) { _body.Append(html).Append('\n'); return this; }

    /// <summary>Starts a &lt;section&gt; (closing the previous one) with an &lt;h2&gt; heading.</summary>
    public HtmlReport Section(string heading, string id)
    {
        if (_inSection) Raw("</section>");
        _inSection = true;
        return Raw($"<section id=\"{E(id)}\"><h2>{E(heading)}</h2>");
    }

    public HtmlReport Paragraph(string text, string? cssClass = null) =>
        Raw(cssClass == null ? $"<p>{E(text)}</p>" : $"<p class=\"{cssClass}\">{E(text)}</p>");

    /// <summary>An &lt;img&gt; with the picture embedded (PNG or JPEG bytes) and its pixel size.</summary>
    public static string Img(byte[] data, bool jpeg, int width, int height, string alt, string? cssClass = null) =>
        $"<img src=\"data:image/{(jpeg ? "jpeg" : "png")};base64,{Convert.ToBase64String(data)}\" width=\"{width}\" height=\"{height}\" alt=\"{E(alt)}\"{(cssClass == null ? "" : $" class=\"{cssClass}\"")}>";

    /// <summary>An embedded chart PNG at its natural size (scaled down by CSS when the page is narrower).</summary>
    public static string Chart(byte[] png, string alt)
    {
        var (w, h) = PngSize(png);
        return Img(png, false, w, h, alt, "chart");
    }

    /// <summary>A table; cells are HTML (escape text with <see cref="E"/>); columns listed in <paramref name="numeric"/> are right-aligned.</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, ISet<int>? numeric = null, string? cssClass = null)
    {
        var sb = new StringBuilder();
        sb.Append(cssClass == null ? "<table>" : $"<table class=\"{cssClass}\">").Append("<thead><tr>");
        for (int i = 0; i < headers.Count; i++) sb.Append(numeric?.Contains(i) == true ? "<th class=\"num\">" : "<th>").Append(E(headers[i])).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            for (int i = 0; i < row.Count; i++) sb.Append(numeric?.Contains(i) == true ? "<td class=\"num\">" : "<td>").Append(row[i]).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>A summary card: a big value over its name (put several in a <c>&lt;div class="cards"&gt;</c>).</summary>
    public static string Card(string key, string value) => $"<div class=\"card\"><div class=\"v\">{E(value)}</div><div class=\"k\">{E(key)}</div></div>";

    public static string Swatch(Rgb c) => $"<span class=\"swatch\" style=\"background:{Css(c)}\"></span>";

    /// <summary>The class legend: a colour swatch and name per class, plus the ignore colour when given.</summary>
    public static string Legend(ClassTable classes, Rgb? ignore, string ignoreText = "ignore (not scored)")
    {
        var sb = new StringBuilder("<div class=\"legend\">");
        for (int i = 0; i < classes.Count; i++)
            sb.Append("<span class=\"item\">").Append(Swatch(classes[i].Color)).Append(E($"{i} {classes[i].Name}")).Append("</span>");
        if (ignore is Rgb ig) sb.Append("<span class=\"item\">").Append(Swatch(ig)).Append(E(ignoreText)).Append("</span>");
        return sb.Append("</div>").ToString();
    }

    public override string ToString() => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(_title)}}</title>
        <style>
        body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; color: #212529; background: #fff; }
        h1 { font-size: 1.6em; margin: .4em 0 .1em; }
        h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #dee2e6; padding-bottom: .2em; }
        h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
        .meta, .note { color: #6c757d; font-size: .9em; }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
        .card { border: 1px solid #dee2e6; border-radius: 6px; padding: 8px 14px; min-width: 130px; }
        .card .v { font-size: 1.5em; font-weight: 600; } .card .k { color: #6c757d; font-size: .85em; }
        table { border-collapse: collapse; margin: 8px 0; font-size: .9em; }
        th, td { border-bottom: 1px solid #e9ecef; padding: 3px 10px; text-align: left; }
        th { background: #f8f9fa; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr.bad td { background: #fff3f3; }
        .swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #555; vertical-align: -2px; margin-right: 6px; }
        .legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 8px 0 12px; font-size: .9em; }
        .row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
        .row p.note { max-width: 44em; }
        img { max-width: 100%; height: auto; } img.chart { border: 1px solid #e9ecef; }
        .case { margin: 14px 0 22px; }
        .panels { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; }
        .panels figure, .grid figure { margin: 0; }
        .panels figcaption, .grid figcaption { font-size: .8em; color: #6c757d; text-align: center; }
        .panels img, .grid img { width: 100%; image-rendering: auto; border: 1px solid #dee2e6; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px; }
        .bar { display: inline-block; height: 10px; background: #3465a4; vertical-align: middle; }
        </style>
        </head>
        <body>
        {{_body}}{{(_inSection ? "</section>" : "")}}
        <p class="note">Written by SharpSeg on {{DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}} UTC.</p>
        </body>
        </html>
        """;

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    static (int Width, int Height) PngSize(byte[] png)
    {
        if (png.Length < 24) throw new ArgumentException("not a PNG");
        int W(int o) => (png[o] << 24) | (png[o + 1] << 16) | (png[o + 2] << 8) | png[o + 3];
        return (W(16), W(20));
    }
}
