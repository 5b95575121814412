using System.Globalization;
using System.Text;
using SharpSeg.Imaging;
using SharpSeg.Data.Loading;

namespace SharpSeg.Data.Synthetic;

/// <summary>
/// Generates a built-in multi-class scene dataset: a textured "ground" (background) under a "sky" with a wavy horizon,
/// overlapping discs, boxes and triangles (drawn in random order, so later shapes occlude earlier ones), and rare thin
/// poles (≈1 % of pixels). Shape classes draw their colours from one shared palette, so shape and texture, not colour,
/// tell them apart. A thin ring around every disc is <see cref="LabelMask.Ignore"/> in the mask (like VOC object
/// borders), and the image gets Gaussian noise. Everything is drawn from <see cref="Random"/> instances seeded from
/// (seed, split, index), so output is identical for a seed and independent of time.
/// </summary>
public static class SyntheticSceneGenerator
{
    /// <summary>Class names; the index is the class value written in masks.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["background", "sky", "disc", "box", "triangle", "pole"];

    /// <summary>Display colours (RGB) of the classes, for dataset.yaml and overlays.</summary>
    public static IReadOnlyList<(byte R, byte G, byte B)> ClassColors { get; } =
        [(128, 96, 64), (70, 130, 180), (220, 20, 60), (0, 142, 70), (250, 170, 30), (153, 153, 153)];

    /// <summary>Index of the rare class (thin poles), ≈0.5–2.5 % of the pixels.</summary>
    public const int RareClass = 5;

    const byte Background = 0, Sky = 1, Disc = 2, Box = 3, Triangle = 4, Pole = 5;

    /// <summary>Split names in the order their seeds are derived.</summary>
    public static IReadOnlyList<string> Splits { get; } = ["train", "val"];

    /// <summary>
    /// The samples of one split ("train" or "val") in memory, ids <c>scene_0000</c>, … Image [H, W, 3] bytes, mask class
    /// indices 0..5 or 255 (ignore).
    /// </summary>
    public static IEnumerable<SegmentationSample> Generate(SyntheticSceneOptions options, string split = "train")
    {
        options.Validate();
        int splitIndex = IndexOfSplit(split);
        int count = splitIndex == 0 ? options.Train : options.Val;
        for (int i = 0; i < count; i++) yield return GenerateOne(options, splitIndex, i);
    }

    /// <summary>
    /// Writes <c>train/images</c>, <c>train/masks</c>, <c>val/images</c>, <c>val/masks</c> (PNG; masks 8-bit class
    /// indices) and <c>dataset.yaml</c> under <paramref name="outDir"/>, and returns the yaml's path. A folder that is
    /// not empty and is not an earlier synthetic dataset is refused; an earlier one is replaced.
    /// </summary>
    public static string WriteDataset(SyntheticSceneOptions options, string outDir)
    {
        options.Validate();
        string root = Path.GetFullPath(outDir);
        string yamlPath = Path.Combine(root, "dataset.yaml");
        if (File.Exists(root)) throw new SharpSegException($"{outDir}: is a file; give a folder for the synthetic dataset.");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            bool ours = File.Exists(yamlPath) && File.ReadLines(yamlPath).FirstOrDefault()?.Trim() == "name: synthetic-scenes";
            if (!ours) throw new SharpSegException($"{outDir}: folder is not empty; choose a new or empty folder for the synthetic dataset.");
            foreach (var split in Splits)
                foreach (var sub in new[] { "images", "masks" })
                {
                    string d = Path.Combine(root, split, sub);
                    if (Directory.Exists(d)) foreach (var f in Directory.EnumerateFiles(d, "*.png")) File.Delete(f);
                }
        }
        for (int s = 0; s < Splits.Count; s++)
        {
            int count = s == 0 ? options.Train : options.Val;
            string imgDir = Path.Combine(root, Splits[s], "images"), maskDir = Path.Combine(root, Splits[s], "masks");
            Directory.CreateDirectory(imgDir); Directory.CreateDirectory(maskDir);
            int splitIndex = s;
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(4, Environment.ProcessorCount) }, i =>
            {
                var sample = GenerateOne(options, splitIndex, i);
                ImageFile.SavePng(sample.Image, Path.Combine(imgDir, sample.Id + ".png"));
                ImageFile.SaveMaskPng(sample.Mask, Path.Combine(maskDir, sample.Id + ".png"));
            });
        }
        IO.AtomicFile.Write(yamlPath, stream =>
        {
            var bytes = new UTF8Encoding(false).GetBytes(DatasetYaml());
            stream.Write(bytes);
        });
        return yamlPath;
    }

    /// <summary>The dataset.yaml text (root omitted = the yaml's folder).</summary>
    public static string DatasetYaml()
    {
        var sb = new StringBuilder();
        sb.Append("name: synthetic-scenes\n");
        sb.Append("splits:\n");
        sb.Append("  train: { images: train/images, masks: train/masks }\n");
        sb.Append("  val:   { images: val/images, masks: val/masks }\n");
        sb.Append("image_channels: 3\n");
        sb.Append("mask:\n");
        sb.Append("  encoding: index\n");
        sb.Append("  ignore_values: [255]\n");
        sb.Append("classes:\n");
        for (int c = 0; c < ClassNames.Count; c++)
        {
            var (r, g, b) = ClassColors[c];
            sb.Append(CultureInfo.InvariantCulture, $"  - {{ name: {ClassNames[c]}, color: [{r}, {g}, {b}] }}\n");
        }
        return sb.ToString();
    }

    static int IndexOfSplit(string split)
    {
        for (int i = 0; i < Splits.Count; i++) if (Splits[i] == split) return i;
        throw new SharpSegException($"unknown synthetic split '{split}'; use train or val.");
    }

    /// <summary>One scene; its randomness depends only on (seed, split, index).</summary>
    static SegmentationSample GenerateOne(SyntheticSceneOptions o, int splitIndex, int index)
    {
        var rng = DeterministicSeed.Create(o.Seed, splitIndex, index, 0x5CE9E);
        var canvas = new Canvas(o.Width, o.Height);
        DrawSkyAndGround(canvas, rng);
        int shapes = rng.Next(3, 8);
        for (int s = 0; s < shapes; s++)
        {
            double pick = rng.NextDouble();
            if (pick < 0.40) DrawDisc(canvas, rng);
            else if (pick < 0.78) DrawBox(canvas, rng);
            else DrawTriangle(canvas, rng);
        }
        int poles = rng.Next(0, 3);
        for (int p = 0; p < poles; p++) DrawPole(canvas, rng);
        var image = new RgbImage(o.Width, o.Height, 3);
        var px = image.Pixels;
        for (int i = 0; i < px.Length; i++) px[i] = RandomDraws.ClampByte(canvas.Rgb[i] + (o.NoiseStd > 0 ? rng.Gaussian() * o.NoiseStd : 0));
        return new SegmentationSample($"scene_{index:D4}", image, new LabelMask(o.Width, o.Height, canvas.Labels));
    }

    sealed class Canvas(int width, int height)
    {
        public readonly int W = width, H = height;
        public readonly float[] Rgb = new float[width * height * 3];
        public readonly byte[] Labels = new byte[width * height];

        public void Set(int x, int y, byte label, double r, double g, double b)
        {
            int i = y * W + x;
            Labels[i] = label;
            Rgb[3 * i] = (float)r; Rgb[3 * i + 1] = (float)g; Rgb[3 * i + 2] = (float)b;
        }
    }

    /// <summary>Smooth noise in about [0, 1]: a coarse random grid interpolated bilinearly to the full size.</summary>
    static float[] ValueNoise(int w, int h, int cells, Random rng)
    {
        int gw = cells + 2, gh = cells + 2;
        var grid = new float[gw * gh];
        for (int i = 0; i < grid.Length; i++) grid[i] = (float)rng.NextDouble();
        var outp = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            double gy = (double)y / h * cells; int y0 = (int)gy; double fy = gy - y0;
            fy = fy * fy * (3 - 2 * fy);
            for (int x = 0; x < w; x++)
            {
                double gx = (double)x / w * cells; int x0 = (int)gx; double fx = gx - x0;
                fx = fx * fx * (3 - 2 * fx);
                double a = grid[y0 * gw + x0], b = grid[y0 * gw + x0 + 1], c = grid[(y0 + 1) * gw + x0], d = grid[(y0 + 1) * gw + x0 + 1];
                outp[y * w + x] = (float)((a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy);
            }
        }
        return outp;
    }

    static void DrawSkyAndGround(Canvas cv, Random rng)
    {
        int w = cv.W, h = cv.H;
        double horizon = h * rng.Uniform(0.2, 0.5), amp = h * rng.Uniform(0.0, 0.08);
        double freq = rng.Uniform(0.5, 3.0) * 2 * Math.PI / w, phase = rng.Uniform(0, 2 * Math.PI);
        // Sky: from deep blue to overcast grey, lighter towards the horizon, with clouds.
        double overcast = rng.NextDouble();
        double sr = 60 + 110 * overcast, sg = 110 + 70 * overcast, sb = 200 - 10 * overcast;
        var clouds = ValueNoise(w, h, 4, rng);
        double cloudiness = rng.Uniform(0, 0.6);
        // Ground: earthy base (brown, olive or grey, overlapping the overcast sky greys) with stripes and blotches.
        double gr = rng.Uniform(70, 170), gg = rng.Uniform(70, 150), gb = rng.Uniform(40, 130);
        double stripeAngle = rng.Uniform(0, Math.PI), stripePeriod = rng.Uniform(4, 14), stripeAmp = rng.Uniform(8, 30);
        double ca = Math.Cos(stripeAngle), sa = Math.Sin(stripeAngle);
        var blotch = ValueNoise(w, h, 6, rng);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double edge = horizon + amp * Math.Sin(freq * x + phase);
                if (y < edge)
                {
                    double t = y / Math.Max(edge, 1);
                    double cl = Math.Max(0, clouds[y * w + x] - (1 - cloudiness)) * 2.5;
                    double r = sr + 50 * t, g = sg + 40 * t, b = sb + 20 * t;
                    r += (235 - r) * Math.Min(cl, 1); g += (235 - g) * Math.Min(cl, 1); b += (240 - b) * Math.Min(cl, 1);
                    cv.Set(x, y, Sky, r, g, b);
                }
                else
                {
                    double s = stripeAmp * Math.Sin(2 * Math.PI * (x * ca + y * sa) / stripePeriod);
                    double bl = (blotch[y * w + x] - 0.5) * 60;
                    double shade = 0.75 + 0.35 * (y - edge) / Math.Max(h - edge, 1);
                    cv.Set(x, y, Background, (gr + s + bl) * shade, (gg + s + bl) * shade, (gb + s * 0.5 + bl) * shade);
                }
            }
        }
    }

    /// <summary>A colour from the palette shared by all shape classes.</summary>
    static (double R, double G, double B) ShapeColor(Random rng)
    {
        double h = rng.NextDouble() * 6, s = rng.Uniform(0.35, 0.9), v = rng.Uniform(90, 240);
        int sector = (int)h % 6; double f = h - Math.Floor(h);
        double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return sector switch { 0 => (v, t, p), 1 => (q, v, p), 2 => (p, v, t), 3 => (p, q, v), 4 => (t, p, v), _ => (v, p, q) };
    }

    static void DrawDisc(Canvas cv, Random rng)
    {
        int w = cv.W, h = cv.H; double m = Math.Min(w, h);
        double cx = rng.Uniform(0, w), cy = rng.Uniform(h * 0.1, h);
        double rx = m * rng.Uniform(0.06, 0.2), ry = rx * rng.Uniform(0.6, 1.4);
        double ang = rng.Uniform(0, Math.PI), ca = Math.Cos(ang), sa = Math.Sin(ang);
        var (r, g, b) = ShapeColor(rng);
        double ring = 1 + 1.5 / Math.Min(rx, ry);
        double reach = Math.Max(rx, ry) * ring + 1;
        // Light from the upper left: smooth radial shading is the disc's texture.
        for (int y = Math.Max(0, (int)(cy - reach)); y < Math.Min(h, (int)(cy + reach) + 1); y++)
            for (int x = Math.Max(0, (int)(cx - reach)); x < Math.Min(w, (int)(cx + reach) + 1); x++)
            {
                double dx = x - cx, dy = y - cy;
                double u = (dx * ca + dy * sa) / rx, v = (-dx * sa + dy * ca) / ry;
                double d = Math.Sqrt(u * u + v * v);
                if (d <= 1)
                {
                    double shade = 1.15 - 0.3 * d - 0.15 * (dx + dy) / (rx + ry);
                    cv.Set(x, y, Disc, r * shade, g * shade, b * shade);
                }
                else if (d <= ring)
                {
                    cv.Labels[y * w + x] = LabelMask.Ignore; // blurry object border: not scored
                }
            }
    }

    static void DrawBox(Canvas cv, Random rng)
    {
        int w = cv.W, h = cv.H; double m = Math.Min(w, h);
        double bw = m * rng.Uniform(0.12, 0.4), bh = m * rng.Uniform(0.12, 0.4);
        int x0 = (int)rng.Uniform(-bw * 0.3, w - bw * 0.7), y0 = (int)rng.Uniform(h * 0.1, h - bh * 0.7);
        var (r, g, b) = ShapeColor(rng);
        double period = rng.Uniform(3, 7);
        bool vertical = rng.Next(2) == 0;
        // Boxes are striped (planks): the texture, not the colour, is their cue.
        for (int y = Math.Max(0, y0); y < Math.Min(h, y0 + (int)bh); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(w, x0 + (int)bw); x++)
            {
                double t = (vertical ? x - x0 : y - y0) / period;
                double shade = (t - Math.Floor(t)) < 0.5 ? 1.0 : 0.72;
                cv.Set(x, y, Box, r * shade, g * shade, b * shade);
            }
    }

    static void DrawTriangle(Canvas cv, Random rng)
    {
        int w = cv.W, h = cv.H; double m = Math.Min(w, h);
        double cx = rng.Uniform(0, w), cy = rng.Uniform(h * 0.15, h), size = m * rng.Uniform(0.12, 0.3);
        double a0 = rng.Uniform(0, 2 * Math.PI);
        var xs = new double[3]; var ys = new double[3];
        for (int k = 0; k < 3; k++)
        {
            double a = a0 + k * 2 * Math.PI / 3 + rng.Uniform(-0.4, 0.4), rr = size * rng.Uniform(0.8, 1.2);
            xs[k] = cx + rr * Math.Cos(a); ys[k] = cy + rr * Math.Sin(a);
        }
        var (r, g, b) = ShapeColor(rng);
        double gradX = rng.Uniform(-1, 1) / size, gradY = rng.Uniform(-1, 1) / size;
        int minX = Math.Max(0, (int)xs.Min()), maxX = Math.Min(w - 1, (int)Math.Ceiling(xs.Max()));
        int minY = Math.Max(0, (int)ys.Min()), maxY = Math.Min(h - 1, (int)Math.Ceiling(ys.Max()));
        for (int y = minY; y <= maxY; y++)
            for (int x = minX; x <= maxX; x++)
            {
                double e0 = Edge(xs[0], ys[0], xs[1], ys[1], x, y), e1 = Edge(xs[1], ys[1], xs[2], ys[2], x, y), e2 = Edge(xs[2], ys[2], xs[0], ys[0], x, y);
                bool inside = (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0);
                if (!inside) continue;
                // A linear gradient across the triangle.
                double shade = 1 + 0.3 * ((x - cx) * gradX + (y - cy) * gradY);
                cv.Set(x, y, Triangle, r * shade, g * shade, b * shade);
            }
    }

    static double Edge(double ax, double ay, double bx, double by, double px, double py) => (bx - ax) * (py - ay) - (by - ay) * (px - ax);

    static void DrawPole(Canvas cv, Random rng)
    {
        int w = cv.W, h = cv.H;
        double x0 = rng.Uniform(0.05 * w, 0.95 * w), y0 = rng.Uniform(0.05 * h, 0.4 * h);
        double len = h * rng.Uniform(0.35, 0.6), slant = rng.Uniform(-0.15, 0.15) * len;
        double x1 = x0 + slant, y1 = Math.Min(h - 1, y0 + len);
        double half = Math.Max(1.0, Math.Min(w, h) / 128.0 * rng.Uniform(0.8, 1.6));
        double grey = rng.Uniform(60, 200);
        double dxs = x1 - x0, dys = y1 - y0, len2 = dxs * dxs + dys * dys;
        int minX = Math.Max(0, (int)(Math.Min(x0, x1) - half - 1)), maxX = Math.Min(w - 1, (int)(Math.Max(x0, x1) + half + 1));
        int minY = Math.Max(0, (int)(y0 - half - 1)), maxY = Math.Min(h - 1, (int)(y1 + half + 1));
        for (int y = minY; y <= maxY; y++)
            for (int x = minX; x <= maxX; x++)
            {
                double t = Math.Clamp(((x - x0) * dxs + (y - y0) * dys) / len2, 0, 1);
                double ex = x - (x0 + t * dxs), ey = y - (y0 + t * dys);
                if (ex * ex + ey * ey > half * half) continue;
                double metal = grey * (0.85 + 0.3 * (ex / half + 1) / 2);
                cv.Set(x, y, Pole, metal, metal, metal * 1.05);
            }
    }
}
