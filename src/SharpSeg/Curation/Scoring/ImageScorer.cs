using System.Diagnostics;
using System.Text;
using SharpSeg.Data;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Curation.Scoring;

/// <summary>
/// Scores unlabelled images with a trained checkpoint: per image the softmax probabilities at the checkpoint's inference
/// scale (as <c>predict</c> runs it), their uncertainty (<see cref="UncertaintyScorer"/>) and the share of pixels
/// predicted as each class. Results are appended to a CSV (<see cref="ImageScoreFile"/>) image by image, so a killed run
/// resumes where it stopped.
/// </summary>
public static class ImageScorer
{

    /// <summary>Scores of one decoded image (channels as the checkpoint expects).</summary>
    public static ImageScores Score(Predictor predictor, RgbImage image, string path, double topShare = UncertaintyScorer.DefaultTopShare)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor input = Preprocessing.Input(image, predictor.Normalization, predictor.Info.InferenceScale, predictor.Device);
        var probs = predictor.Backend.Logits(input).softmax(1).squeeze(0).to(ScalarType.Float32).cpu(); // [C, h, w]
        int c = (int)probs.shape[0];
        var uncertainty = c >= 2 ? UncertaintyScorer.Score(probs, topShare) : new UncertaintyScores(0, 0, 0, 0, 0, 0);
        var counts = torch.bincount(probs.argmax(dim: 0).reshape(-1), minlength: c).to(ScalarType.Float64);
        var shares = counts.div(counts.sum()).to(ScalarType.Float32).contiguous();
        return new ImageScores(path, uncertainty, ImageTensors.FloatSpan(shares).ToArray());
    }

    /// <summary>
    /// Scores every image of <paramref name="images"/> into <paramref name="csvPath"/>, skipping images already in it
    /// (same root and classes; otherwise an error unless <paramref name="overwrite"/>). Returns (scored now, already there,
    /// failures, seconds).
    /// </summary>
    public static (int Scored, int AlreadyDone, IReadOnlyList<string> Failures, double Seconds) Run(Predictor predictor, ImageCollection images, string csvPath,
        double topShare = UncertaintyScorer.DefaultTopShare, bool overwrite = false, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!(topShare > 0 && topShare <= 1)) throw new SharpSegException($"--top-share must be in (0, 1], got {topShare}.");
        var clock = Stopwatch.StartNew();
        var classNames = predictor.ClassNames;
        var done = new HashSet<string>(StringComparer.Ordinal);
        string full = Path.GetFullPath(csvPath);
        // What the scores are made with: a run resumes only with the same model, precision and top share, so one file
        // never mixes two models' scores (a retrained best.ckpt at the same path included) or two roundings.
        var made = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["top share"] = topShare.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["precision"] = predictor.Bf16 ? "bf16" : "fp32",
        };
        if (predictor.Source is { } source && File.Exists(source)) made["model"] = ModelIdentity(source);
        if (File.Exists(full) && !overwrite)
        {
            TrimPartialLastLine(full);
            var existing = ImageScoreFile.Read(full);
            if (!string.Equals(existing.Root, images.Root, StringComparison.Ordinal) || !existing.ClassNames.SequenceEqual(classNames.Select(n => n.Replace(',', ' ').Replace('"', ' '))))
                throw new SharpSegException($"{csvPath}: holds scores for other images or classes (root {existing.Root}); use another --out, or --overwrite to replace it.");
            foreach (var (key, value) in made)
                // A file from before a key was recorded says nothing about it: resumed as it always was.
                if (existing.Comments.TryGetValue(key, out var was) && !Same(key, was, value))
                    throw new SharpSegException($"{csvPath}: holds scores made with {key} {was}, not {value}; use another --out, or --overwrite to score every image again.");
            foreach (var r in existing.Rows) done.Add(r.Path);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var header = new StringBuilder($"# root: {images.Root}\n");
            foreach (var key in new[] { "top share", "model", "precision" })
                if (made.TryGetValue(key, out var value)) header.Append($"# {key}: {value}\n");
            File.WriteAllText(full, header + ImageScoreFile.HeaderLine(classNames) + "\n");
        }
        var todo = Enumerable.Range(0, images.RelativePaths.Count).Where(i => !done.Contains(images.RelativePaths[i])).ToList();
        int already = images.RelativePaths.Count - todo.Count, total = images.RelativePaths.Count, scored = 0;
        var failures = new List<string>();
        progress?.Report((already, total));
        using var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.Read);
        Task<(RgbImage?, string?)>? next = todo.Count > 0 ? Load(todo[0]) : null;
        for (int k = 0; k < todo.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (image, error) = next!.GetAwaiter().GetResult();
            next = k + 1 < todo.Count ? Load(todo[k + 1]) : null;
            if (image == null) failures.Add(error!);
            else
            {
                var s = Score(predictor, image, images.RelativePaths[todo[k]], topShare);
                stream.Write(Encoding.UTF8.GetBytes(ImageScoreFile.Line(s) + "\n"));
                stream.Flush();
                scored++;
            }
            progress?.Report((already + scored + failures.Count, total));
        }
        next?.Wait(CancellationToken.None);
        return (scored, already, failures, clock.Elapsed.TotalSeconds);

        Task<(RgbImage?, string?)> Load(int i) => Task.Run<(RgbImage?, string?)>(() =>
        {
            try { return (predictor.LoadImage(images.FullPath(i)), null); }
            catch (SharpSegException e) { return (null, e.Message); }
        });
    }

    /// <summary>A model file as the scores header records it: <c>sha256:HEX16 PATH</c>. The content decides whether
    /// two are the same model (a moved file is; a retrained one at the same path is not).</summary>
    static string ModelIdentity(string path)
    {
        using var stream = File.OpenRead(path);
        return $"sha256:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream))[..16].ToLowerInvariant()} {path}";
    }

    static bool Same(string key, string was, string now) => key == "model"
        ? was.Split(' ', 2)[0] == now.Split(' ', 2)[0]
        : was == now;

    /// <summary>Drops a last line without its '\n' (a run killed mid-write).</summary>
    static void TrimPartialLastLine(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int end = bytes.Length;
        while (end > 0 && bytes[end - 1] != (byte)'\n') end--;
        if (end != bytes.Length) using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write)) fs.SetLength(end);
    }
}
