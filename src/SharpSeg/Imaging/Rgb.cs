namespace SharpSeg.Imaging;

/// <summary>An 8-bit RGB colour (0..255 per channel), e.g. a class colour in a colour-coded mask or a display colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>Packs the colour into 0x00RRGGBB, a cheap dictionary key.</summary>
    public int Packed => (R << 16) | (G << 8) | B;

    /// <summary>The largest per-channel absolute difference to <paramref name="other"/> (0..255).</summary>
    public int MaxChannelDistance(Rgb other) =>
        Math.Max(Math.Abs(R - other.R), Math.Max(Math.Abs(G - other.G), Math.Abs(B - other.B)));

    /// <summary>Unpacks a value made by <see cref="Packed"/>.</summary>
    public static Rgb FromPacked(int packed) => new((byte)(packed >> 16), (byte)(packed >> 8), (byte)packed);

    /// <summary>Formats as <c>(r, g, b)</c>, the way error messages name a colour.</summary>
    public override string ToString() => $"({R}, {G}, {B})";
}
