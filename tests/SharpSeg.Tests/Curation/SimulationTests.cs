using System.Text.Json;
using SharpSeg.Data;
using SharpSeg.Tests.Training;
using Xunit;
using SharpSeg.Curation.Selection;
using SharpSeg.Curation.Simulation;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Tests.Curation;

public sealed class SimulationTests
{
    [Fact]
    public void ListFileDatasetTrainsOnExactlyTheChosenImages()
    {
        var spec = DatasetSpec.Load(TrainingFixture.DatasetYaml);
        var pairs = spec.ResolvePairs("train");
        string dir = TestPaths.NewTempDir("list-dataset");
        string yaml = ListFileDataset.Write(spec, "train", [pairs[3], pairs[7]], dir);
        var subset = DatasetSpec.Load(yaml);
        Assert.Equal(new[] { pairs[3].ImagePath, pairs[7].ImagePath }, subset.ResolvePairs("train").Select(p => p.ImagePath));
        Assert.Equal(spec.ResolvePairs("val").Select(p => p.ImagePath), subset.ResolvePairs("val").Select(p => p.ImagePath));
        Assert.Equal(spec.Classes.Count, subset.Classes.Count);
    }

    [Fact]
    public void SimulationTrainsEveryStrategyRecordsValMIoUAndResumes()
    {
        string recipeDir = TestPaths.NewTempDir("al-sim");
        string recipe = Path.Combine(recipeDir, "recipe.yaml");
        File.WriteAllText(recipe, "model:\n  depth: 2\n");
        var options = new SimulationOptions
        {
            Recipe = recipe,
            Overrides = TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 3, valEvery: 3).Append("train.log_every=10").ToList(),
            Out = Path.Combine(recipeDir, "out"),
            Strategies = [StrategyMix.Parse("random"), StrategyMix.Parse("uncertainty:0.5,diversity:0.5")],
            Seeds = [7],
            InitialFraction = 0.1,
            StepFraction = 0.1,
            EmbedSize = 32,
        };
        var lines = new List<string>();
        var results = ActiveLearningSimulation.Run(options, lines.Add);
        Assert.Equal(new[] { "initial", "random", "uncertainty:0.5,diversity:0.5" }, results.Select(r => r.Strategy));
        Assert.Equal(new[] { 5, 10, 10 }, results.Select(r => r.Labelled)); // 10 % of 48, then 10 % more
        Assert.All(results, r => Assert.NotNull(r.ValMIoU));
        // The strategy's list holds the initial images plus its own picks, and never picks an initial image twice.
        var initial = File.ReadAllLines(results[0].List).Where(l => !l.StartsWith('#')).ToList();
        var mixed = File.ReadAllLines(results[2].List).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(10, mixed.Distinct().Count());
        Assert.All(initial, l => Assert.Contains(l, mixed));
        Assert.Contains("vs random, paired", File.ReadAllText(Path.Combine(options.Out, "results.md")));
        // Rerun: nothing is trained again.
        lines.Clear();
        var again = ActiveLearningSimulation.Run(options, lines.Add);
        Assert.Equal(3, again.Count);
        Assert.DoesNotContain(lines, l => l.Contains("training on"));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(options.Out, "results.jsonl")).Length);
        Assert.Equal(7, JsonSerializer.Deserialize<SimulationRunResult>(File.ReadAllLines(Path.Combine(options.Out, "results.jsonl"))[1])!.Seed);
        // A cold start needs a model-free embedding: this evaluator says which ones have it.
        var cold = Assert.Throws<SharpSegException>(() => ActiveLearningSimulation.Run(options with { InitialFraction = 0 }));
        Assert.Contains("--evaluator frozen or finetune", cold.Message);
    }
}
