using SharpSeg.Curation.Selection;
namespace SharpSeg.Curation.Simulation;

/// <summary>An active-learning simulation (<see cref="ActiveLearningSimulation"/>): which recipe, strategies and seeds.</summary>
public sealed record SimulationOptions
{
    /// <summary>The training recipe (its dataset, train and val splits); every run trains from scratch with it.</summary>
    public required string Recipe { get; init; }

    /// <summary>Recipe overrides (<c>key=value</c>) applied to every training run.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>Output folder: one subfolder per seed, results.jsonl and results.md.</summary>
    public required string Out { get; init; }

    /// <summary>Strategies compared (each also a mix like <c>uncertainty:0.5,diversity:0.5</c>). <c>random</c> is plain
    /// random sampling (no dedupe): the baseline.</summary>
    public IReadOnlyList<StrategyMix> Strategies { get; init; } = [];

    /// <summary>Strategies by name beyond the mixes, offered by the frozen-encoder evaluator only
    /// (<see cref="FrozenEncoderSimulation.ExtraStrategies"/>: cluster-balance, badge).</summary>
    public IReadOnlyList<string> ExtraStrategies { get; init; } = [];

    /// <summary>Seeds; each draws its own random initial set and trains every run with that seed.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2, 3];

    /// <summary>Share of the training split labelled at random at the start.</summary>
    public double InitialFraction { get; init; } = 0.05;

    /// <summary>Share of the training split each strategy adds.</summary>
    public double StepFraction { get; init; } = 0.05;

    /// <summary>Embeddings for diversity and typicality: <c>checkpoint</c> (the initial model's encoder) or <c>thumbnail</c>.</summary>
    public string Embedder { get; init; } = "checkpoint";

    /// <summary>Near-duplicate threshold on thumbnail embeddings for the strategies that name <c>dedupe</c>
    /// (<see cref="DedupeFor"/>); null: no dedupe at all.</summary>
    public double? DedupeThreshold { get; init; } = CurationOptions.DefaultDedupeThreshold;

    /// <summary>The near-duplicate threshold both evaluators give <paramref name="mix"/>: <see cref="DedupeThreshold"/>
    /// when the mix names <c>dedupe</c> (e.g. <c>dedupe,diversity</c>), else none, so that <c>diversity</c> against
    /// <c>dedupe,diversity</c> measures what removing near-duplicates adds. (Before 2026-12-05 the training evaluator
    /// removed them for every strategy but <c>random</c>.)</summary>
    public double? DedupeFor(StrategyMix mix) => mix.Weights.ContainsKey(SelectionStrategy.Dedupe) ? DedupeThreshold : null;

    /// <summary>Input size of the encoder embedding.</summary>
    public int EmbedSize { get; init; } = 224;
}
