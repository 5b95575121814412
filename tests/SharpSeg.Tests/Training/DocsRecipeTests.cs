using System.Text.RegularExpressions;
using SharpSeg.Training;
using Xunit;

namespace SharpSeg.Tests.Training;

/// <summary>
/// Keeps the docs honest (issue 17): every recipe snippet in docs/*.md and README.md goes through the real recipe
/// loader, every recipe key the docs name (<c>`model.dropout`</c>, <c>--set loss.name=...</c>) exists, and every recipe
/// in configs/ loads.
/// </summary>
public sealed class DocsRecipeTests
{
    static readonly string[] Sections = ["data", "model", "augment", "normalize", "loss", "optimizer", "schedule", "eval", "train"];

    static IEnumerable<string> DocFiles() =>
        Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "docs"), "*.md").Append(Path.Combine(TestPaths.RepoRoot, "README.md"));

    /// <summary>```yaml blocks whose first key is a recipe section, with the file and line they start at.</summary>
    static IEnumerable<(string Where, string Yaml)> RecipeSnippets()
    {
        foreach (var file in DocFiles())
        {
            string text = File.ReadAllText(file);
            foreach (Match m in Regex.Matches(text, @"```ya?ml\n(.*?)```", RegexOptions.Singleline))
            {
                string yaml = m.Groups[1].Value;
                string? first = yaml.Split('\n').Select(l => l.TrimEnd()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
                if (first == null || !Sections.Contains(first.Split(':')[0])) continue;
                int line = text[..m.Index].Count(c => c == '\n') + 1;
                yield return ($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}:{line}", yaml);
            }
        }
    }

    [Fact]
    public void EveryRecipeSnippetInTheDocsLoads()
    {
        var snippets = RecipeSnippets().ToList();
        Assert.True(snippets.Count >= 3, $"found only {snippets.Count} recipe snippets"); // MODELS.md, LOSSES.md ×2
        foreach (var (where, yaml) in snippets)
        {
            try
            {
                var recipe = TrainingRecipe.Parse(yaml, where, TestPaths.RepoRoot);
                RecipeBinding.RefuseIgnoredOptions(recipe);
                var model = RecipeBinding.Model(recipe) with { NumClasses = 12 };
                model.Validate();
                Assert.Contains(model.Encoder, SharpSeg.Models.ModelZoo.ValidEncoders(model.Architecture));
                if (RecipeBinding.EncoderWeights(recipe) is { } weights && weights == SharpSeg.Pretrained.EncoderWeights.ImageNet)
                    SharpSeg.Pretrained.EncoderWeights.Validate(weights, model.Encoder);
            }
            catch (SharpSegException e) { Assert.Fail(e.Message.StartsWith(where, StringComparison.Ordinal) ? e.Message : $"{where}: {e.Message}"); }
        }
    }

    [Fact]
    public void EveryRecipeKeyTheDocsNameExists()
    {
        var defaults = TrainingRecipe.Load(null).Tree;
        // SELF_SUPERVISED.md names pretraining-recipe keys too (PretrainRecipe).
        var pretrainDefaults = SharpSeg.Configuration.ConfigTree.Parse(SharpSeg.SelfSupervised.PretrainRecipe.DefaultsYaml, "pretrain defaults");
        string[] fileExtensions = ["png", "bin", "safetensors", "json", "onnx", "ckpt", "yaml", "txt", "pth", "pt", "csv", "npy", "jsonl"];
        var bad = new List<string>();
        int checkedKeys = 0;
        foreach (var file in DocFiles())
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                foreach (Match m in Regex.Matches(lines[i], @"(?:`|--set )(data|model|augment|loss|optimizer|schedule|eval|train)\.([a-z_]+)(?=[`:= ])"))
                {
                    if (fileExtensions.Contains(m.Groups[2].Value)) continue;
                    checkedKeys++;
                    string key = $"{m.Groups[1].Value}.{m.Groups[2].Value}";
                    try { defaults.GetRaw(key); } // throws for a key the defaults do not have (null-valued keys exist)
                    catch (SharpSegException)
                    {
                        bool pretrainKey = Path.GetFileName(file) == "SELF_SUPERVISED.md" && Known(pretrainDefaults, key);
                        if (!pretrainKey) bad.Add($"{Path.GetFileName(file)}:{i + 1}: {key}");
                    }
                }
        }
        Assert.True(checkedKeys > 50, $"only {checkedKeys} keys found: has the pattern stopped matching?");
        Assert.True(bad.Count == 0, "keys the recipe loader does not know: " + string.Join("; ", bad));
    }

    [Fact]
    public void EveryShippedRecipeLoads() // training recipes, and pretraining recipes under configs/pretrain/
    {
        var files = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "configs"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}datasets{Path.DirectorySeparatorChar}")).ToList();
        Assert.NotEmpty(files);
        foreach (var f in files)
        {
            bool pretraining = f.Contains($"{Path.DirectorySeparatorChar}pretrain{Path.DirectorySeparatorChar}");
            try
            {
                if (pretraining) SharpSeg.SelfSupervised.PretrainRecipe.Load(f);
                else RecipeBinding.Model(TrainingRecipe.Load(f));
            }
            catch (SharpSegException e) { Assert.Fail($"{f}: {e.Message}"); }
        }
    }

    static bool Known(SharpSeg.Configuration.ConfigTree tree, string key)
    {
        try { tree.GetRaw(key); return true; }
        catch (SharpSegException) { return false; }
    }
}
