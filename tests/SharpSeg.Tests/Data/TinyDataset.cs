using SharpSeg.Imaging;

namespace SharpSeg.Tests.Data;

/// <summary>Writes tiny image/mask files and dataset.yaml files into a temp folder for tests.</summary>
internal sealed class TinyDataset
{
    public TinyDataset(string name)
    {
        Root = TestPaths.NewTempDir(name);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>An RGB image whose pixels depend on position (so images differ).</summary>
    public string Image(string relative, int width = 6, int height = 4)
    {
        var img = new RgbImage(width, height, 3);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i * 13);
        string path = PathOf(relative);
        ImageFile.SavePng(img, path);
        return path;
    }

    /// <summary>An 8-bit gray mask: value at pixel i is values[i % values.Length].</summary>
    public string GrayMask(string relative, int width, int height, params byte[] values)
    {
        var px = new byte[width * height];
        for (int i = 0; i < px.Length; i++) px[i] = values[i % values.Length];
        string path = PathOf(relative);
        PngCodec.SaveGray8(path, width, height, px);
        return path;
    }

    /// <summary>An RGB mask: colour at pixel i is colors[i % colors.Length].</summary>
    public string ColorMask(string relative, int width, int height, params Rgb[] colors)
    {
        var img = new RgbImage(width, height, 3);
        for (int i = 0; i < width * height; i++)
        {
            var c = colors[i % colors.Length];
            img.Pixels[3 * i] = c.R; img.Pixels[3 * i + 1] = c.G; img.Pixels[3 * i + 2] = c.B;
        }
        string path = PathOf(relative);
        ImageFile.SavePng(img, path);
        return path;
    }

    public string Yaml(string text, string relative = "dataset.yaml")
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A clean index dataset: train has a.png, b.png (6x4) with masks of values 0/1/2 and ignore 255.</summary>
    public static TinyDataset Clean(string name)
    {
        var d = new TinyDataset(name);
        foreach (var id in new[] { "a", "b" })
        {
            d.Image($"train/images/{id}.png");
            d.GrayMask($"train/masks/{id}.png", 6, 4, 0, 1, 2, 255);
        }
        d.Yaml(CleanYaml);
        return d;
    }

    public const string CleanYaml = """
        name: tiny
        splits:
          train: { images: train/images, masks: train/masks }
        classes:
          - { name: background }
          - { name: cat }
          - { name: dog }
        """;
}
