using SharpSeg.Data.Synthetic;
using SharpSeg.Imaging;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Tests.Curation;

/// <summary>Small embedding sets and image folders for the curation tests.</summary>
public static class CurationTestData
{
    /// <summary>Unit rows from raw vectors, with fake paths img000.png….</summary>
    public static EmbeddingSet Set(float[][] rows, string root = "/data")
    {
        int dim = rows[0].Length;
        var v = rows.SelectMany(r => r).ToArray();
        EmbeddingSet.Normalize(v, dim);
        return new EmbeddingSet(v, dim, Enumerable.Range(0, rows.Length).Select(i => $"img{i:000}.png").ToList(), root);
    }

    /// <summary>N random unit vectors of dimension D (seeded).</summary>
    public static float[][] Random(int n, int dim, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
    }

    /// <summary>Distinct generated scenes (96×72) written as PNGs into <paramref name="dir"/>; returns their paths.</summary>
    public static IReadOnlyList<string> WriteScenes(string dir, int count, int seed = 11)
    {
        var paths = new List<string>();
        int i = 0;
        foreach (var s in SyntheticSceneGenerator.Generate(new SyntheticSceneOptions { Train = count, Val = 1, Width = 96, Height = 72, Seed = seed }))
        {
            string p = Path.Combine(dir, $"scene{i++:00}.png");
            ImageFile.SavePng(s.Image, p);
            paths.Add(p);
        }
        return paths;
    }

    /// <summary>A folder <c>images</c> in <paramref name="dir"/> with <paramref name="count"/> scenes (<see cref="WriteScenes"/>)
    /// and a byte copy of scene <paramref name="copied"/> (<c>sceneNN-copy.png</c>): a pool with one exact near-duplicate.</summary>
    public static string WriteScenesWithCopy(string dir, int count, int copied)
    {
        string images = Path.Combine(dir, "images");
        Directory.CreateDirectory(images);
        var scenes = WriteScenes(images, count);
        File.Copy(scenes[copied], Path.Combine(images, $"scene{copied:00}-copy.png"));
        return images;
    }
}
