using System.Diagnostics;
using SharpSeg.Curation.Embedding;
using SharpSeg.Curation.Scoring;
using SharpSeg.Data;
using SharpSeg.Data.Checks;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Inference;
using SharpSeg.Imaging;
using SharpSeg.Metrics;
using SharpSeg.Models.Encoders;
using SharpSeg.SelfSupervised;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Curation.Simulation;

/// <summary>
/// The frozen encoder's feature maps of every image of a pool and a validation split, computed once and kept in memory,
/// so that dozens of small trainings (one per strategy, budget and seed of a curation study) cost only a light head each.
/// Per image: the maps of <see cref="Stages"/> at <see cref="Scale"/> of the image size, standardised per channel with the
/// pool's statistics (unlabelled images only: no labels are used), and the mask at that size. From the same pass:
/// one embedding per pool image (the deepest map, global-average-pooled, L2-normalised) for diversity and typicality,
/// and the deepest map's cells for clustering dense features.
/// </summary>
public sealed class FrozenEncoderFeatures : IDisposable
{
    sealed record Item(Tensor[] Maps, Tensor Mask, long PaddedHeight, long PaddedWidth, long[] ClassPixels, long Pixels);

    readonly List<Item> pool, val;
    readonly Device device;

    FrozenEncoderFeatures(List<Item> pool, List<Item> val, int[] stages, int[] channels, double scale, IReadOnlyList<string> classNames,
        EmbeddingSet embeddings, Tensor cells, int[] cellOwner, Device device, TimeSpan elapsed)
    {
        this.pool = pool; this.val = val; Stages = stages; Channels = channels; Scale = scale; ClassNames = classNames;
        Embeddings = embeddings; Cells = cells; CellOwner = cellOwner; this.device = device; Elapsed = elapsed;
    }

    /// <summary>Encoder stages kept (indices into its feature maps).</summary>
    public int[] Stages { get; }

    /// <summary>Channels of each kept stage.</summary>
    public int[] Channels { get; }

    /// <summary>Images were resized by this factor before the encoder; masks and metrics are at that size.</summary>
    public double Scale { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>One unit vector per pool image (the deepest map, global-average-pooled), in pool order.</summary>
    public EmbeddingSet Embeddings { get; }

    /// <summary>The deepest map's cells of every pool image, standardised and L2-normalised: <c>[cells, C]</c>.</summary>
    public Tensor Cells { get; }

    /// <summary>The pool image (row) of each cell.</summary>
    public int[] CellOwner { get; }

    /// <summary>Time the encoder pass took.</summary>
    public TimeSpan Elapsed { get; }

    public int PoolCount => pool.Count;

    /// <summary>Runs <paramref name="encoder"/> (frozen, eval mode) over the pool and validation pairs.</summary>
    public static FrozenEncoderFeatures Compute(Encoder encoder, Normalization normalization, DatasetSpec spec, IReadOnlyList<SamplePair> poolPairs,
        IReadOnlyList<SamplePair> valPairs, string poolRoot, double scale, int[]? stages = null, Device? device = null, Action<string>? log = null,
        CancellationToken cancellationToken = default)
    {
        var dev = device ?? CPU;
        stages ??= Enumerable.Range(Math.Max(1, encoder.Depth - 2), Math.Min(3, encoder.Depth)).ToArray(); // the three deepest
        foreach (int s in stages)
            if (s < 1 || s > encoder.Depth || encoder.OutChannels[s] == 0)
                throw new SharpSegException($"stage {s} is not a feature map of encoder {encoder.GetType().Name} (1..{encoder.Depth}).");
        var clock = Stopwatch.StartNew();
        encoder.to(dev);
        encoder.eval();
        var decoder = new SampleDecoder(spec);
        int classes = spec.Classes.Names.Count;
        var poolItems = Pass(poolPairs, "pool");
        var valItems = Pass(valPairs, "val");
        int deepest = stages.Length - 1;
        Tensor cells;
        int[] owner;
        EmbeddingSet embeddings;
        using (var noGrad = torch.no_grad())
        {
            // Per-channel standardisation of every stage with the pool's statistics (no labels involved).
            for (int k = 0; k < stages.Length; k++)
                FrozenFeaturePass.Standardise(poolItems.Select(p => p.Maps[k]), poolItems.Concat(valItems).Select(p => p.Maps[k]));
            var pooled = new float[poolItems.Count * encoder.OutChannels[stages[deepest]]];
            int dim = encoder.OutChannels[stages[deepest]];
            var cellList = new List<Tensor>();
            var ownerList = new List<int>();
            for (int i = 0; i < poolItems.Count; i++)
            {
                var map = poolItems[i].Maps[deepest].squeeze(0); // [C, h, w]
                using (var g = nn.functional.normalize(map.mean([1L, 2L]).unsqueeze(0), dim: 1).squeeze(0).contiguous())
                    ImageTensors.FloatSpan(g).CopyTo(pooled.AsSpan(i * dim, dim));
                Tensor c;
                using (var cellScope = NewDisposeScope())
                    c = nn.functional.normalize(map.flatten(1).t(), dim: 1).contiguous().DetachFromDisposeScope();
                cellList.Add(c);
                ownerList.AddRange(Enumerable.Repeat(i, (int)c.shape[0]));
            }
            cells = torch.cat(cellList.ToArray(), 0);
            foreach (var c in cellList) c.Dispose();
            owner = ownerList.ToArray();
            var paths = poolPairs.Select(p => Path.GetRelativePath(poolRoot, Path.GetFullPath(p.ImagePath)).Replace('\\', '/')).ToList();
            embeddings = new EmbeddingSet(pooled, dim, paths, poolRoot);
        }
        log?.Invoke($"frozen features: {poolItems.Count} pool + {valItems.Count} val images at scale {scale}, stages {string.Join(",", stages)}, {clock.Elapsed.TotalSeconds:F0} s");
        return new FrozenEncoderFeatures(poolItems, valItems, stages, stages.Select(s => encoder.OutChannels[s]).ToArray(), scale,
            spec.Classes.Names.ToList(), embeddings, cells, owner, dev, clock.Elapsed);

        List<Item> Pass(IReadOnlyList<SamplePair> pairs, string what)
        {
            var items = new List<Item>(pairs.Count);
            foreach (var pair in pairs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var f = FrozenFeaturePass.Run(encoder, decoder.Decode(pair), normalization, stages, scale, dev);
                var counts = new long[classes];
                foreach (byte v in f.Sample.Mask.Labels) if (v < classes) counts[v]++;
                items.Add(new Item(f.Maps, f.Mask, f.PaddedHeight, f.PaddedWidth, counts, counts.Sum()));
                if (items.Count % 50 == 0) log?.Invoke($"frozen features: {what} {items.Count}/{pairs.Count}");
            }
            return items;
        }
    }

    /// <summary>Trains a fresh head on the pool rows <paramref name="rows"/> (their masks) and measures it on the
    /// validation images. The head is returned for scoring the pool; the caller disposes it.</summary>
    public (SegmentationMetrics Val, FrozenHead Head, TimeSpan Elapsed) Train(IReadOnlyList<int> rows, FrozenHeadOptions options, int seed,
        CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0) throw new SharpSegException("the frozen-encoder head needs at least one labelled image.");
        var clock = Stopwatch.StartNew();
        var generator = new Generator((ulong)seed);
        var head = new FrozenHead(Channels, options.Width, ClassNames.Count, generator);
        head.to(device);
        // Median-frequency class weights of the labelled images, as the training recipes use (class_weights: median).
        int classes = ClassNames.Count;
        var pixels = new long[classes];
        var present = new long[classes];
        foreach (int r in rows)
            for (int c = 0; c < classes; c++)
                if (pool[r].ClassPixels[c] > 0) { pixels[c] += pool[r].ClassPixels[c]; present[c] += pool[r].Pixels; }
        using var weights = torch.tensor(ClassWeights.MedianFrequency(pixels, present).Select(w => (float)w).ToArray()).to(device);
        using var adam = optim.AdamW(head.parameters(), options.Lr, weight_decay: options.WeightDecay);
        var rng = new Random(seed);
        var order = rows.ToArray();
        int cursor = order.Length;
        for (int it = 0; it < options.Iterations; it++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            foreach (var g in adam.ParamGroups) g.LearningRate = options.Lr * 0.5 * (1 + Math.Cos(Math.PI * it / options.Iterations));
            var batch = new List<Item>();
            for (int b = 0; b < Math.Min(options.BatchSize, order.Length); b++)
            {
                if (cursor == order.Length) { rng.Shuffle(order); cursor = 0; }
                batch.Add(pool[order[cursor++]]);
            }
            adam.zero_grad();
            Tensor? sum = null, weightSum = null;
            foreach (var group in batch.GroupBy(p => (p.PaddedHeight, p.PaddedWidth, p.Mask.shape[1], p.Mask.shape[2])))
            {
                var items = group.ToList();
                var maps = Enumerable.Range(0, Stages.Length).Select(k => items.Count == 1 ? items[0].Maps[k] : torch.cat(items.Select(i => i.Maps[k]).ToArray(), 0)).ToArray();
                var masks = items.Count == 1 ? items[0].Mask : torch.cat(items.Select(i => i.Mask).ToArray(), 0);
                bool flip = options.HorizontalFlip && rng.NextDouble() < 0.5;
                if (flip) { maps = maps.Select(m => m.flip(3)).ToArray(); masks = masks.flip(2); }
                // Flipped maps of a padded image put the padding on the left: logits are cropped from the right then.
                var logits = head.Logits(maps, group.Key.PaddedHeight, group.Key.PaddedWidth);
                long mh = masks.shape[1], mw = masks.shape[2];
                logits = flip ? logits[.., .., ..(int)mh, (int)(group.Key.PaddedWidth - mw)..] : logits[.., .., ..(int)mh, ..(int)mw];
                var l = nn.functional.cross_entropy(logits, masks, weight: weights, ignore_index: LabelMask.Ignore, reduction: nn.Reduction.Sum);
                // The weighted mean over the batch's pixels, as cross_entropy's own mean: Σ w_y·ce / Σ w_y.
                var valid = masks.ne(LabelMask.Ignore).flatten();
                var w = weights.index_select(0, masks.flatten().masked_fill(valid.logical_not(), 0)).mul(valid.to(ScalarType.Float32)).sum();
                sum = sum is null ? l : sum + l;
                weightSum = weightSum is null ? w : weightSum + w;
            }
            if (sum is null) continue;
            sum = sum.div(weightSum!.clamp_min(1e-6));
            sum.backward();
            adam.step();
        }
        head.eval();
        var matrix = new ConfusionMatrix(classes);
        using (torch.no_grad())
            foreach (var item in val)
            {
                using var scope = NewDisposeScope();
                var logits = head.Logits(item.Maps, item.PaddedHeight, item.PaddedWidth)[.., .., ..(int)item.Mask.shape[1], ..(int)item.Mask.shape[2]];
                matrix.Update(Preprocessing.ArgMaxClasses(logits).cpu(), item.Mask.cpu());
            }
        return (matrix.Compute(ClassNames), head, clock.Elapsed);
    }

    /// <summary>What a trained head says about each pool image: uncertainty, predicted class shares, and the BADGE
    /// gradient embedding (the gradient of the cross entropy against the head's own prediction with respect to its last
    /// layer's weights, averaged over the image's cells: <c>[K · width]</c>).</summary>
    public (IReadOnlyList<ImageScores> Scores, Tensor GradientEmbeddings) ScorePool(FrozenHead head, CancellationToken cancellationToken = default)
    {
        var scores = new List<ImageScores>(pool.Count);
        var gradients = new List<Tensor>(pool.Count);
        head.eval();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < pool.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var hidden = head.Hidden(pool[i].Maps); // [1, W, h, w]
            var p = nn.functional.softmax(head.Classify(hidden), 1).squeeze(0); // [K, h, w]
            var u = UncertaintyScorer.Score(p);
            long cellsCount = p.shape[1] * p.shape[2];
            var predicted = Preprocessing.ArgMaxClasses(p.unsqueeze(0)).squeeze(0).flatten().to(ScalarType.Int64);
            var shares = torch.bincount(predicted, minlength: ClassNames.Count).to(ScalarType.Float32).div(cellsCount);
            scores.Add(new ImageScores(Embeddings.Paths[i], u, shares.data<float>().ToArray()));
            var residual = p.flatten(1).sub(nn.functional.one_hot(predicted, ClassNames.Count).t().to(ScalarType.Float32)); // [K, P]
            var g = residual.matmul(hidden.squeeze(0).flatten(1).t()).div(cellsCount).flatten(); // [K · W]
            gradients.Add(g.DetachFromDisposeScope());
        }
        var all = torch.stack(gradients.ToArray());
        foreach (var g in gradients) g.Dispose();
        return (scores, all);
    }

    public void Dispose()
    {
        foreach (var item in pool.Concat(val)) { foreach (var m in item.Maps) m.Dispose(); item.Mask.Dispose(); }
        Cells.Dispose();
    }
}

/// <summary>Settings of the light head trained on frozen features (<see cref="FrozenEncoderFeatures.Train"/>).</summary>
public sealed record FrozenHeadOptions
{
    /// <summary>AdamW steps.</summary>
    public int Iterations { get; init; } = 300;

    /// <summary>Peak learning rate, decayed to 0 along a cosine.</summary>
    public double Lr { get; init; } = 0.003;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Images per step (drawn without replacement, epoch by epoch).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Channels of the head's hidden layer.</summary>
    public int Width { get; init; } = 96;

    /// <summary>Flip a batch's maps and masks horizontally half the time (a cheap augmentation on cached features).</summary>
    public bool HorizontalFlip { get; init; } = true;
}

/// <summary>
/// A light segmentation head on frozen multi-scale features: each stage projected by a 1×1 convolution to
/// <c>width</c> channels, upsampled to the finest stage and summed, then ReLU, a 1×1 convolution, ReLU and the 1×1
/// classifier (an FPN-style fusion without the top-down 3×3 convolutions): a per-pixel two-layer network.
/// </summary>
public sealed class FrozenHead : nn.Module<Tensor[], Tensor>
{
    readonly nn.Module<Tensor, Tensor>[] projections;
    readonly nn.Module<Tensor, Tensor> mix, classifier;

    public FrozenHead(int[] channels, int width, int classes, Generator? generator = null) : base(nameof(FrozenHead))
    {
        projections = channels.Select(c => (nn.Module<Tensor, Tensor>)nn.Conv2d(c, width, 1)).ToArray();
        mix = nn.Conv2d(width, width, 1);
        classifier = nn.Conv2d(width, classes, 1);
        for (int i = 0; i < projections.Length; i++) register_module($"proj{i}", projections[i]);
        register_module("mix", mix);
        register_module("classifier", classifier);
        if (generator != null)
            using (torch.no_grad())
                foreach (var (name, p) in named_parameters())
                {
                    if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
                    else p.normal_(0, Math.Sqrt(2.0 / (p.shape[1] * p.shape[2] * p.shape[3])), generator: generator);
                }
    }

    /// <summary>The hidden features at the finest stage's resolution: <c>[N, width, h, w]</c>.</summary>
    public Tensor Hidden(Tensor[] maps)
    {
        long h = maps[0].shape[2], w = maps[0].shape[3];
        Tensor sum = projections[0].call(maps[0]);
        for (int i = 1; i < maps.Length; i++)
            sum = sum + nn.functional.interpolate(projections[i].call(maps[i]), size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        return nn.functional.relu(mix.call(nn.functional.relu(sum)));
    }

    public Tensor Classify(Tensor hidden) => classifier.call(hidden);

    public override Tensor forward(Tensor[] maps) => Classify(Hidden(maps));

    /// <summary>Logits upsampled to the padded image size.</summary>
    public Tensor Logits(Tensor[] maps, long paddedHeight, long paddedWidth) =>
        nn.functional.interpolate(forward(maps), size: [paddedHeight, paddedWidth], mode: InterpolationMode.Bilinear, align_corners: false);
}
