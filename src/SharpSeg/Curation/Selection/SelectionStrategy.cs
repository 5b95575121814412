namespace SharpSeg.Curation.Selection;

/// <summary>One way of valuing an unlabelled image; <see cref="StrategyMix"/> combines them with weights.</summary>
public enum SelectionStrategy
{
    /// <summary>A seeded random draw (the baseline every strategy must beat).</summary>
    Random,

    /// <summary>Near-duplicate removal only: one representative per group, largest groups first.</summary>
    Dedupe,

    /// <summary>Far from every labelled or already selected image (k-center greedy on the embeddings).</summary>
    Diversity,

    /// <summary>In a dense, representative region of the embedding space (mean similarity to the k nearest neighbours).</summary>
    Typicality,

    /// <summary>A trained model is unsure about it (per-pixel entropy, margin or least confidence, aggregated).</summary>
    Uncertainty,

    /// <summary>Its predicted mask holds classes that the labelled and selected images lack relative to a target distribution.</summary>
    ClassBalance,

    /// <summary>TypiClust: k-means into labelled + budget clusters, then the most typical image of each of the largest
    /// clusters without a labelled image (<see cref="ClusterPickSelector"/>). Not mixed with other terms.</summary>
    TypiClust,

    /// <summary>The same clusters, then the most uncertain image of each (uncertainty within diversity clusters). Not
    /// mixed with other terms.</summary>
    ClusterUncertainty,
}
