using System.Globalization;

namespace SharpSeg.Imaging;

/// <summary>
/// An image size in pixels as written on the command line. The axis order is explicit: <see cref="Parse"/> reads
/// <c>WIDTHxHEIGHT</c> (<c>480x360</c> is 480 wide, 360 high), the order of <c>embed --size</c>, <c>bench --size</c> and
/// <c>data synth --size</c>; <see cref="ParseHeightByWidth"/> reads <c>HEIGHTxWIDTH</c>, the order of
/// <c>pretrain --crop</c> and of a recipe's <c>augment.crop: [height, width]</c> (kept so that existing commands and
/// recipes mean what they meant). A single number is a square where the caller allows it.
/// </summary>
public readonly record struct SizeSpec(int Width, int Height)
{
    /// <summary>Parses <c>WIDTHxHEIGHT</c> (also <c>X</c> or <c>,</c> between the numbers), or one number for a square when
    /// <paramref name="allowSquare"/>. Anything else, or a side below 1, is a one-line <see cref="SharpSegException"/>
    /// that names <paramref name="option"/> (e.g. "--size") and gives an example.</summary>
    public static SizeSpec Parse(string text, string option, bool allowSquare = true)
    {
        var sides = Sides(text, option, allowSquare, "WIDTHxHEIGHT");
        return new SizeSpec(sides[0], sides[^1]);
    }

    /// <summary>Parses <c>HEIGHTxWIDTH</c> (or one number for a square when <paramref name="allowSquare"/>), as
    /// <c>pretrain --crop</c> and <c>augment.crop</c> take it.</summary>
    public static SizeSpec ParseHeightByWidth(string text, string option, bool allowSquare = true)
    {
        var sides = Sides(text, option, allowSquare, "HEIGHTxWIDTH");
        return new SizeSpec(sides[^1], sides[0]);
    }

    /// <summary><c>WIDTHxHEIGHT</c>, as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}");

    static int[] Sides(string? text, string option, bool allowSquare, string order)
    {
        var parts = (text ?? "").Trim().Split('x', 'X', ',');
        var sides = new int[parts.Length];
        bool ok = parts.Length is 1 or 2 && (parts.Length == 2 || allowSquare);
        for (int i = 0; ok && i < parts.Length; i++)
            ok = int.TryParse(parts[i].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out sides[i]) && sides[i] > 0;
        if (ok) return sides;
        string example = order == "WIDTHxHEIGHT" ? "480x360" : "128x160";
        throw new SharpSegException($"{option} '{text}': give {(allowSquare ? "one number (a square) or " : "")}{order} in whole pixels above 0, e.g. {option} {example}.");
    }
}
