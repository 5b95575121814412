using System.Globalization;
using Microsoft.AspNetCore.Http;
using SharpSeg.Inference;

namespace SharpSeg.Serving;

/// <summary>
/// The options of <c>POST /v1/segment</c>, from the query string, or a multipart upload's form fields, or a JSON body's
/// properties:
/// <c>format</c> = png (class indices, default) | color | overlay | json; <c>opacity</c> (overlay, 0..1, default 0.5);
/// <c>rle</c> (json: add run-length masks per class); <c>tile</c>, <c>overlap</c>, <c>blend</c>, <c>tta_flip</c>,
/// <c>tta_scales</c> as <c>predict</c>'s <c>--tile</c>, <c>--overlap</c>, <c>--blend</c>, <c>--tta-flip</c>,
/// <c>--tta-scales</c>. Bad values are the CLI's one-line messages.
/// </summary>
sealed record SegmentRequest(string Format, double Opacity, bool Rle, InferenceOptions Inference)
{
    static readonly string[] Formats = ["png", "color", "overlay", "json"];
    static readonly string[] Known = ["format", "opacity", "rle", "tile", "overlap", "blend", "tta_flip", "tta_scales", "name"];

    /// <param name="query">The query string.</param>
    /// <param name="fields">The multipart form's fields or the JSON body's options (null for a raw body); they win
    /// over the query.</param>
    public static SegmentRequest Parse(IQueryCollection query, IReadOnlyDictionary<string, string>? fields)
    {
        string? Get(string key) =>
            fields != null && fields.TryGetValue(key, out var f) ? f
            : query.TryGetValue(key, out var q) && q.Count > 0 ? q.ToString() : null;
        foreach (var key in query.Keys.Concat(fields?.Keys ?? []))
            if (!Known.Contains(key))
                throw new RequestError(400, "Unknown option", $"unknown option '{TerminalText.Clean(key)}'; use {string.Join(", ", Known)}.");

        string format = (Get("format") ?? "png").Trim().ToLowerInvariant();
        if (!Formats.Contains(format)) throw new RequestError(400, "Unknown format", $"format '{TerminalText.Clean(format)}': use png (class indices), color, overlay or json.");
        double opacity = Number(Get("opacity"), "opacity") ?? 0.5;
        if (!(opacity >= 0 && opacity <= 1)) throw new RequestError(400, "Bad option", $"opacity {opacity.ToString(CultureInfo.InvariantCulture)}: must be between 0 and 1.");
        bool rle = Flag(Get("rle"), "rle");
        int? tile = null;
        if (Get("tile") is { } t)
            tile = int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new RequestError(400, "Bad option", $"tile '{TerminalText.Clean(t)}': give a whole number of pixels such as 512.");
        double overlap = Number(Get("overlap"), "overlap") ?? 0.25;
        var inference = InferenceOptions.FromFlags(tile, overlap, Get("blend"), Flag(Get("tta_flip"), "tta_flip"), Get("tta_scales"));
        return new SegmentRequest(format, opacity, rle, inference);
    }

    static double? Number(string? text, string what)
    {
        if (text == null) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new RequestError(400, "Bad option", $"{what} '{TerminalText.Clean(text)}': give a number such as 0.5.");
    }

    static bool Flag(string? text, string what) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "1" or "true" or "yes" or "on" => text != null,
        "0" or "false" or "no" or "off" => false,
        _ => throw new RequestError(400, "Bad option", $"{what} '{TerminalText.Clean(text)}': give true or false."),
    };
}
