using SharpSeg.Losses;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Losses;

/// <summary>Properties every loss must have: finite-difference gradients, ignored pixels, all-ignored batches, perfect predictions.</summary>
public sealed class LossPropertyTests
{
    // Every loss with its options; "binary1" losses take one output channel and 0/1 targets.
    private static readonly Dictionary<string, (Func<ISegmentationLoss> Create, bool OneChannel)> All = new()
    {
        ["ce"] = (() => new CrossEntropyLoss(), false),
        ["ce_smoothed"] = (() => new CrossEntropyLoss([1f, 2f, 0.5f], labelSmoothing: 0.1), false),
        ["focal"] = (() => new FocalLoss(2.0), false),
        ["focal_g05_weighted"] = (() => new FocalLoss(0.5, classWeights: [1f, 2f, 0.5f]), false),
        ["focal_binary"] = (() => new FocalLoss(2.0, 0.25, mode: LossMode.Binary), false),
        ["bce1"] = (() => LossFactory.Create("bce"), true),
        ["dice"] = (() => new DiceLoss(), false),
        ["dice_global_logcosh"] = (() => new DiceLoss(0.5, perClass: false, logCosh: true), false),
        ["dice_binary1"] = (() => new DiceLoss(mode: LossMode.Binary), true),
        ["tversky"] = (() => new TverskyLoss(), false),
        ["focal_tversky"] = (() => new TverskyLoss(gamma: 0.75), false),
        ["jaccard"] = (() => new JaccardLoss(0), false),
        ["jaccard_binary"] = (() => new JaccardLoss(mode: LossMode.Binary), false),
        ["lovasz_softmax"] = (() => new LovaszSoftmaxLoss(), false),
        ["lovasz_softmax_per_image"] = (() => new LovaszSoftmaxLoss(perImage: true, allClasses: true), false),
        ["lovasz_hinge1"] = (() => new LovaszHingeLoss(), true),
        ["lovasz_hinge_per_image"] = (() => new LovaszHingeLoss(perImage: true), false),
        ["boundary"] = (() => new BoundaryCrossEntropyLoss(4.0, 1, [1f, 2f, 0.5f]), false),
        ["ohem"] = (() => new OhemCrossEntropyLoss(0.6, 2), false),
        ["ce+dice"] = (() => LossFactory.Create("ce+dice", new LossOptions { Weights = [1.0, 0.5] }), false),
    };

    public static TheoryData<string> Names => new(All.Keys);

    private static (Tensor Logits, Tensor Target) Inputs(string name, int seed)
    {
        var g = new Generator((ulong)seed);
        bool one = All[name].OneChannel;
        Tensor logits = randn([2, one ? 1 : 3, 3, 4], dtype: ScalarType.Float64, generator: g) * 2;
        Tensor target = randint(0, one ? 2 : 3, [2, 3, 4], dtype: ScalarType.Int64, generator: g);
        target[0, 0, 0] = 255L; target[1, 2, 1] = 255L; target[1, 0, 3] = 255L;
        return (logits, target);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GradientMatchesFiniteDifferences(string name)
    {
        var loss = All[name].Create();
        var (x, target) = Inputs(name, 7);
        using var logits = x.requires_grad_(true);
        using (var l = loss.Compute(logits, target)) l.backward();
        double[] analytic = logits.grad!.data<double>().ToArray();
        double[] values = x.detach().data<double>().ToArray();
        long[] shape = x.shape;
        const double h = 1e-6;
        for (int i = 0; i < values.Length; i++)
        {
            using var scope = NewDisposeScope();
            double F(double delta)
            {
                var v = (double[])values.Clone();
                v[i] += delta;
                return loss.Compute(tensor(v).reshape(shape), target).item<double>();
            }
            double numeric = (F(h) - F(-h)) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) < 1e-6, $"{name}: d/dlogits[{i}] autograd {analytic[i]}, finite difference {numeric}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void IgnoredPixelsGetExactlyZeroGradient(string name)
    {
        var (x, target) = Inputs(name, 11);
        using var logits = x.requires_grad_(true);
        using (var l = All[name].Create().Compute(logits, target)) l.backward();
        using var ignored = target.eq(255).unsqueeze(1).expand_as(logits);
        Assert.Equal(0.0, logits.grad!.masked_select(ignored).abs().max().item<double>());
        Assert.True(logits.grad!.masked_select(ignored.logical_not()).abs().max().item<double>() > 0);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void IgnoredPixelsDoNotChangeTheValue(string name)
    {
        // Changing the logits of ignored pixels leaves the loss as it is.
        var (x, target) = Inputs(name, 13);
        using var changed = where(target.eq(255).unsqueeze(1).expand_as(x), x + randn_like(x) * 10, x);
        var loss = All[name].Create();
        Assert.Equal(loss.Compute(x, target).item<double>(), loss.Compute(changed, target).item<double>(), 12);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AllIgnoredBatchGivesZeroAndBackwardWorks(string name)
    {
        var (x, target) = Inputs(name, 17);
        using var logits = x.requires_grad_(true);
        using var ignored = full_like(target, 255L);
        using var loss = All[name].Create().Compute(logits, ignored);
        Assert.Equal(0.0, loss.item<double>());
        loss.backward();
        Assert.Equal(0.0, logits.grad!.abs().max().item<double>());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void PerfectPredictionGivesTheMinimumZero(string name)
    {
        if (name == "ce_smoothed") return; // label smoothing moves the minimum away from one-hot
        // Logits of ±20 on the right side: softmax/sigmoid probabilities within ~2e-9 of one-hot, hinge margins far
        // beyond 1. Every loss here has minimum 0 (Dice/Jaccard/Tversky: overlap 1; Lovász: no errors).
        var (_, target) = Inputs(name, 19);
        bool one = All[name].OneChannel;
        using var safe = target.masked_fill(target.eq(255), 0);
        using var logits = one
            ? (safe.unsqueeze(1).to_type(ScalarType.Float64) * 2 - 1) * 20
            : (nn.functional.one_hot(safe, 3).permute(0, 3, 1, 2).to_type(ScalarType.Float64) * 2 - 1) * 20;
        using var loss = All[name].Create().Compute(logits, target);
        Assert.InRange(loss.item<double>(), -1e-12, 1e-6);
    }

    [Fact]
    public void UniformLogitsGiveTheKnownValues()
    {
        // Two classes, zero logits (p = 1/2 everywhere), a target with as many pixels of each class (n = 8, 4 + 4):
        //   ce, boundary, ohem (every p = 1/2 < 0.7 is kept): ln 2
        //   focal γ=2: (1 - 1/2)² · ln 2 = ln 2 / 4
        //   bce (sigmoid, one-vs-rest over both channels): ln 2
        //   dice, s=0: TP_c = 2, Σp_c = 4, Σg_c = 4 → D = 4/8 = 1/2 → 1/2; global: the same
        //   jaccard, s=0: IoU = 2 / (4 + 4 − 2) = 1/3 → 2/3
        //   tversky α=.3 β=.7, s=0: TP = FP = FN = 2 → TI = 2 / (2 + .6 + 1.4) = 1/2 → 1/2; focal-Tversky γ=.75: (1/2)^.75
        //   lovasz: every error is 1/2 → 1/2 · J(all pixels wrong) = 1/2
        //   lovasz_hinge (one channel, target 0/1): every hinge error is 1 → J(all) = 1
        using var logits = zeros(1, 2, 2, 4, dtype: ScalarType.Float64);
        using var target = tensor(new long[] { 0, 0, 1, 1, 1, 0, 1, 0 }).reshape(1, 2, 4);
        double V(ISegmentationLoss l) => l.Compute(logits, target).item<double>();
        Assert.Equal(Math.Log(2), V(new CrossEntropyLoss()), 12);
        Assert.Equal(Math.Log(2), V(new BoundaryCrossEntropyLoss(5, 1)), 12);
        Assert.Equal(Math.Log(2), V(new OhemCrossEntropyLoss(0.7, 1)), 12);
        Assert.Equal(Math.Log(2) / 4, V(new FocalLoss(2)), 12);
        Assert.Equal(Math.Log(2), V(LossFactory.Create("bce")), 12);
        Assert.Equal(0.5, V(new DiceLoss(0)), 12);
        Assert.Equal(0.5, V(new DiceLoss(0, perClass: false)), 12);
        Assert.Equal(Math.Log(Math.Cosh(0.5)), V(new DiceLoss(0, logCosh: true)), 12);
        Assert.Equal(2.0 / 3, V(new JaccardLoss(0)), 12);
        Assert.Equal(0.5, V(new TverskyLoss(0.3, 0.7, smooth: 0)), 12);
        Assert.Equal(Math.Pow(0.5, 0.75), V(new TverskyLoss(0.3, 0.7, 0.75, smooth: 0)), 12);
        Assert.Equal(0.5, V(new LovaszSoftmaxLoss()), 12);
        using var oneChannel = zeros(1, 1, 2, 4, dtype: ScalarType.Float64);
        Assert.Equal(1.0, new LovaszHingeLoss().Compute(oneChannel, target).item<double>(), 12);
    }

    [Fact]
    public void TverskyWithEqualHalvesIsDiceAndWithOnesIsJaccard()
    {
        var (logits, target) = Inputs("tversky", 23);
        double V(ISegmentationLoss l) => l.Compute(logits, target).item<double>();
        // TP / (TP + ½FP + ½FN) = 2TP / (2TP + FP + FN); TP / (TP + FP + FN) = IoU (s = 0, and Tversky's s = Dice's s / 2).
        Assert.Equal(V(new DiceLoss(0)), V(new TverskyLoss(0.5, 0.5, smooth: 0)), 12);
        Assert.Equal(V(new DiceLoss(2)), V(new TverskyLoss(0.5, 0.5, smooth: 1)), 12);
        Assert.Equal(V(new JaccardLoss(1)), V(new TverskyLoss(1, 1, smooth: 1)), 12);
    }

    [Fact]
    public void FocalWithGammaZeroIsCrossEntropy()
    {
        var (logits, target) = Inputs("focal", 29);
        float[] w = [0.5f, 2f, 1f];
        Assert.Equal(new CrossEntropyLoss(w).Compute(logits, target).item<double>(), new FocalLoss(0, classWeights: w).Compute(logits, target).item<double>(), 12);
        // Binary, γ = 0, no α: binary cross-entropy with logits averaged over valid pixels and channels.
        using var valid = target.ne(255);
        using var oneHot = nn.functional.one_hot(target.masked_fill(valid.logical_not(), 0), 3).permute(0, 3, 1, 2).to_type(ScalarType.Float64);
        using var bce = nn.functional.binary_cross_entropy_with_logits(logits, oneHot, reduction: nn.Reduction.None)
            .masked_select(valid.unsqueeze(1).expand_as(logits)).mean();
        Assert.Equal(bce.item<double>(), new FocalLoss(0, mode: LossMode.Binary).Compute(logits, target).item<double>(), 12);
    }

    [Fact]
    public void PixelLossClassWeightsGiveTheWeightedMeanOfPerClassMeans()
    {
        // For ce, focal, boundary (and ohem over its kept pixels): L_w = Σ_k w_k·n_k·L_k / Σ_k w_k·n_k, where L_k is the
        // loss with weight 1 on class k only (the mean over class-k pixels) and n_k the class-k pixel count.
        var (logits, target) = Inputs("ce", 31);
        float[] w = [0.5f, 2f, 1f];
        long[] n = Enumerable.Range(0, 3).Select(k => target.eq(k).sum().item<long>()).ToArray();
        foreach (var make in new Func<float[]?, ISegmentationLoss>[] { cw => new CrossEntropyLoss(cw), cw => new FocalLoss(2, classWeights: cw), cw => new BoundaryCrossEntropyLoss(1, 1, cw) })
        {
            double[] perClass = Enumerable.Range(0, 3).Select(k => make(Enumerable.Range(0, 3).Select(j => j == k ? 1f : 0f).ToArray()).Compute(logits, target).item<double>()).ToArray();
            double expected = Enumerable.Range(0, 3).Sum(k => w[k] * n[k] * perClass[k]) / Enumerable.Range(0, 3).Sum(k => w[k] * n[k]);
            Assert.Equal(expected, make(w).Compute(logits, target).item<double>(), 12);
            Assert.Equal(make(null).Compute(logits, target).item<double>(), make([3f, 3f, 3f]).Compute(logits, target).item<double>(), 12);
        }
    }

    [Fact]
    public void OverlapLossClassWeightsGiveTheWeightedMeanOverClasses()
    {
        // Dice, Jaccard, Tversky, Lovász (all classes): L_w = Σ_c w_c·L_c / Σ_c w_c, L_c the loss with weight 1 on class c only.
        var (logits, target) = Inputs("dice", 37);
        float[] w = [0.5f, 2f, 1f];
        foreach (var make in new Func<float[]?, ISegmentationLoss>[] { cw => new DiceLoss(1, classWeights: cw), cw => new JaccardLoss(1, cw), cw => new TverskyLoss(classWeights: cw), cw => new LovaszSoftmaxLoss(allClasses: true, classWeights: cw) })
        {
            double[] perClass = Enumerable.Range(0, 3).Select(k => make(Enumerable.Range(0, 3).Select(j => j == k ? 1f : 0f).ToArray()).Compute(logits, target).item<double>()).ToArray();
            Assert.Equal((0.5 * perClass[0] + 2 * perClass[1] + perClass[2]) / 3.5, make(w).Compute(logits, target).item<double>(), 12);
            Assert.Equal(perClass.Average(), make(null).Compute(logits, target).item<double>(), 12);
        }
    }

    [Fact]
    public void BoundaryWeightUpWeightsOnlyPixelsNearABoundary()
    {
        // Left half class 0, right half class 1 (4×4): with width 1 the two middle columns are the boundary. Logits
        // give loss a on boundary pixels and b elsewhere: L = (w·8·a + 8·b) / (8w + 8).
        using var target = tensor(new long[] { 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1 }).reshape(1, 4, 4);
        using var mask = BoundaryCrossEntropyLoss.BoundaryMask(target, 1);
        Assert.Equal(new[] { false, true, true, false }, mask[0, 0].data<bool>().ToArray());
        // Class-1 logit 0 on the boundary columns (p = 1/2, loss ln 2), ±ln 3 elsewhere (p = 3/4 right, loss ln 4/3).
        double l3 = Math.Log(3);
        var c1 = new double[] { -l3, 0, 0, l3 };
        using var logits = stack([zeros(4, 4, dtype: ScalarType.Float64), tensor(c1).repeat(4, 1)]).unsqueeze(0);
        double a = Math.Log(2), b = Math.Log(4.0 / 3);
        Assert.Equal((3 * 8 * a + 8 * b) / 32, new BoundaryCrossEntropyLoss(3, 1).Compute(logits, target).item<double>(), 12);
        Assert.Equal((a + b) / 2, new BoundaryCrossEntropyLoss(1, 1).Compute(logits, target).item<double>(), 12);
    }

    [Fact]
    public void OhemKeepsPixelsBelowTheThresholdAndAtLeastMinKept()
    {
        // Target-class probabilities (2 classes, logits (0, z)): pixel p = σ(z) for target 1. Four pixels, p = .2 .5 .8 .95.
        double Logit(double p) => Math.Log(p / (1 - p));
        var z = new[] { 0.2, 0.5, 0.8, 0.95 }.Select(Logit).ToArray();
        using var logits = stack([zeros(1, 4, dtype: ScalarType.Float64), tensor(z).reshape(1, 4)]).unsqueeze(0); // [1, 2, 1, 4]
        using var target = ones(1, 1, 4, dtype: ScalarType.Int64);
        bool[] Kept(double t, long k) => new OhemCrossEntropyLoss(t, k).KeptPixels(logits, target).flatten().data<bool>().ToArray();
        Assert.Equal(new[] { true, true, false, false }, Kept(0.7, 0));     // threshold 0.7 dominates
        Assert.Equal(new[] { true, true, true, false }, Kept(0.3, 3));      // sorted[3] = .95 → p < .95: three pixels
        Assert.Equal(new[] { true, false, false, false }, Kept(0.3, 1));    // sorted[1] = .5 → only .2
        // The value is the mean over kept pixels: (−ln .2 − ln .5) / 2.
        Assert.Equal((-Math.Log(0.2) - Math.Log(0.5)) / 2, new OhemCrossEntropyLoss(0.7, 0).Compute(logits, target).item<double>(), 12);
    }

    [Fact]
    public void CombinedLossIsTheWeightedSum()
    {
        var (logits, target) = Inputs("ce+dice", 41);
        var combined = LossFactory.Create("ce+dice+focal", new LossOptions { Weights = [1.0, 0.5, 2.0], FocalGamma = 1.5 });
        double expected = new CrossEntropyLoss().Compute(logits, target).item<double>()
            + 0.5 * new DiceLoss().Compute(logits, target).item<double>()
            + 2.0 * new FocalLoss(1.5).Compute(logits, target).item<double>();
        Assert.Equal(expected, combined.Compute(logits, target).item<double>(), 12);
        Assert.Equal(3, Assert.IsType<CombinedLoss>(combined).Terms.Count);
    }

    [Fact]
    public void EveryFactoryNameBuildsALossThatRuns()
    {
        var (logits, target) = Inputs("ce", 43);
        // bce and lovasz_hinge treat the three channels as one-vs-rest problems.
        foreach (var name in LossFactory.Names)
        {
            var loss = LossFactory.Create(name, new LossOptions { OhemMinKept = 4 }, [1f, 2f, 1f]);
            using var value = loss.Compute(logits, target);
            Assert.True(double.IsFinite(value.item<double>()), name);
        }
    }

    [Fact]
    public void EveryLossRunsOnFloat32LogitsAndByteTargets()
    {
        // Training uses float32 logits and uint8 masks from the loader.
        foreach (var name in All.Keys)
        {
            var (x, target) = Inputs(name, 47);
            using var logits = x.to_type(ScalarType.Float32).requires_grad_(true);
            using var loss = All[name].Create().Compute(logits, target.to_type(ScalarType.Byte));
            Assert.Equal(ScalarType.Float32, loss.dtype);
            Assert.Equal(All[name].Create().Compute(x, target).item<double>(), loss.item<float>(), 4);
            loss.backward();
            Assert.True(float.IsFinite(logits.grad!.abs().sum().item<float>()), name);
        }
    }

    [Fact]
    public void FactoryErrorsNameTheFix()
    {
        var e = Assert.Throws<SharpSegException>(() => LossFactory.Create("ce+dise"));
        Assert.Contains("did you mean 'dice'", e.Message);
        e = Assert.Throws<SharpSegException>(() => LossFactory.Create("ce+dice", new LossOptions { Weights = [1.0] }));
        Assert.Contains("one weight per term", e.Message);
        e = Assert.Throws<SharpSegException>(() => LossFactory.Create("ohem", new LossOptions { Mode = LossMode.Binary }));
        Assert.Contains("softmax-only", e.Message);
        Assert.Throws<SharpSegException>(() => LossFactory.Create("ce", new LossOptions { Mode = LossMode.Binary }));
        Assert.Throws<SharpSegException>(() => LossFactory.Create("ce++dice"));
        Assert.IsType<LovaszHingeLoss>(LossFactory.Create("lovasz", new LossOptions { Mode = LossMode.Binary }));
        Assert.IsType<DiceLoss>(LossFactory.Create(" Dice "));
    }

    [Fact]
    public void BinaryOneChannelTargetsMustBeZeroOrOne()
    {
        using var logits = zeros(1, 1, 2, 2);
        using var target = tensor(new long[] { 0, 1, 2, 255 }).reshape(1, 2, 2);
        var e = Assert.Throws<SharpSegException>(() => new DiceLoss(mode: LossMode.Binary).Compute(logits, target));
        Assert.Contains("0 (background) or 1", e.Message);
    }
}
