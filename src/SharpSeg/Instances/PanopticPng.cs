using SharpSeg.Imaging;

namespace SharpSeg.Instances;

/// <summary>
/// COCO panoptic PNG: an 8-bit RGB image whose pixel colour is the segment id, id = R + 256·G + 256²·B (0 = void).
/// </summary>
public static class PanopticPng
{
    /// <summary>Largest segment id the format holds (2^24 − 1).</summary>
    public const int MaxId = (1 << 24) - 1;

    public static PngRaster Encode(int[] ids, int width, int height)
    {
        var samples = new ushort[ids.Length * 3];
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if (id is < 0 or > MaxId) throw new ArgumentException($"segment id {id} is outside 0..{MaxId}");
            samples[3 * i] = (ushort)(id & 0xFF);
            samples[3 * i + 1] = (ushort)((id >> 8) & 0xFF);
            samples[3 * i + 2] = (ushort)((id >> 16) & 0xFF);
        }
        return new PngRaster(width, height, PngColorType.Rgb, 8, samples);
    }

    /// <summary>Segment ids of a panoptic PNG (8-bit RGB or RGBA); <paramref name="name"/> names the file in errors.</summary>
    public static int[] Decode(PngRaster raster, string name)
    {
        if (raster.BitDepth != 8 || raster.ColorType is not (PngColorType.Rgb or PngColorType.Rgba))
            throw new SharpSegException($"{name}: a COCO panoptic PNG is 8-bit RGB, this one is {raster.ColorType} with {raster.BitDepth}-bit samples; write it as 8-bit RGB.");
        int ch = raster.Channels;
        var s = raster.Samples;
        var ids = new int[raster.Width * raster.Height];
        for (int i = 0; i < ids.Length; i++) ids[i] = s[ch * i] | (s[ch * i + 1] << 8) | (s[ch * i + 2] << 16);
        return ids;
    }

    public static int[] Read(string path) => Decode(PngCodec.Decode(path), path);
}
