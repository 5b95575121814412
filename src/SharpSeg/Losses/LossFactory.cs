using SharpSeg.Configuration;

namespace SharpSeg.Losses;

/// <summary>
/// Creates losses by name, the names a recipe's <c>loss.name</c> takes: one name, or several joined by '+'
/// (<c>ce+dice</c>) for a <see cref="CombinedLoss"/> weighted by <see cref="LossOptions.Weights"/>.
/// </summary>
public static class LossFactory
{
    /// <summary>Every loss name, in the order the docs list them.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["ce", "bce", "focal", "dice", "tversky", "focal_tversky", "jaccard", "lovasz", "lovasz_hinge", "boundary", "ohem"];

    /// <summary>
    /// The loss for <paramref name="name"/> (case-insensitive; '+' joins terms), with <paramref name="classWeights"/>
    /// (one per output channel, or null) given to every term that takes class weights. An unknown name, or a weight
    /// count that does not match the terms, is a <see cref="SharpSegException"/> naming the nearest valid name.
    /// </summary>
    public static ISegmentationLoss Create(string name, LossOptions? options = null, float[]? classWeights = null)
    {
        options ??= new LossOptions();
        var parts = Parse(name);
        var weights = options.Weights;
        if (weights != null && weights.Length != parts.Length)
            throw new SharpSegException($"loss.weights has {weights.Length} values but loss.name '{name}' has {parts.Length} term{(parts.Length == 1 ? "" : "s")}: give one weight per term.");
        if (options.FocalAlpha != null && options.Mode == LossMode.Multiclass)
            throw new SharpSegException("loss.focal_alpha weights positives in loss.mode binary only, so in multiclass mode it would change nothing: remove it and weight classes with loss.class_weights, or set loss.mode: binary.");
        if (parts.Length == 1 && (weights == null || weights[0] == 1)) return CreateOne(parts[0], options, classWeights);
        return new CombinedLoss(parts.Select((p, k) => (CreateOne(p, options, classWeights), weights?[k] ?? 1.0)));
    }

    /// <summary>The terms of a loss name ("ce+dice" → ["ce", "dice"]), lower-cased and checked against <see cref="Names"/>.</summary>
    public static string[] Parse(string name)
    {
        var parts = (name ?? "").Split('+').Select(p => p.Trim().ToLowerInvariant()).ToArray();
        foreach (var p in parts)
        {
            if (p.Length == 0) throw new SharpSegException($"loss.name '{name}' has an empty term: write names joined by '+', e.g. ce+dice.");
            if (!Names.Contains(p)) throw new SharpSegException($"loss.name: '{p}' is not a known loss{NearestName.Hint(p, Names)}.");
        }
        return parts;
    }

    // Each loss.* option with the terms that read it: an option changed from its default for terms that all ignore it
    // is refused rather than silently dropped.
    private static readonly (string Key, Func<LossOptions, object?> Value, string[] UsedBy)[] OptionUsers =
    [
        ("label_smoothing", o => o.LabelSmoothing, ["ce"]),
        ("focal_gamma", o => o.FocalGamma, ["focal"]),
        ("focal_alpha", o => o.FocalAlpha, ["focal"]),
        ("dice_smooth", o => o.DiceSmooth, ["dice", "tversky", "focal_tversky", "jaccard"]),
        ("dice_per_class", o => o.DicePerClass, ["dice"]),
        ("dice_log_cosh", o => o.DiceLogCosh, ["dice"]),
        ("tversky_alpha", o => o.TverskyAlpha, ["tversky", "focal_tversky"]),
        ("tversky_beta", o => o.TverskyBeta, ["tversky", "focal_tversky"]),
        ("tversky_gamma", o => o.TverskyGamma, ["focal_tversky"]),
        ("lovasz_per_image", o => o.LovaszPerImage, ["lovasz", "lovasz_hinge"]),
        ("ohem_thresh", o => o.OhemThreshold, ["ohem"]),
        ("ohem_min_kept", o => o.OhemMinKept, ["ohem"]),
        ("boundary_weight", o => o.BoundaryWeight, ["boundary"]),
        ("boundary_width", o => o.BoundaryWidth, ["boundary"]),
    ];

    /// <summary>
    /// Throws when an option of <paramref name="options"/> differs from its default but no term of <paramref name="name"/>
    /// reads it (e.g. <c>dice_smooth</c> for <c>ce</c>): what a recipe sets must change the run. <see cref="Create"/> does
    /// not check this, so that code may share one options record between losses.
    /// </summary>
    public static void RefuseUnusedOptions(string name, LossOptions options)
    {
        var parts = Parse(name);
        var defaults = new LossOptions();
        foreach (var (key, value, usedBy) in OptionUsers)
        {
            if (Equals(value(options), value(defaults)) || parts.Any(usedBy.Contains)) continue;
            throw new SharpSegException($"loss.{key} is set but loss.name '{name}' has no term that uses it ({string.Join(", ", usedBy)}), so it would change nothing: remove loss.{key} or add such a term.");
        }
    }

    private static ISegmentationLoss CreateOne(string name, LossOptions o, float[]? w) => name switch
    {
        "ce" => o.Mode == LossMode.Binary
            ? throw new SharpSegException("loss 'ce' is softmax cross-entropy; for loss.mode binary use 'bce' (sigmoid cross-entropy).")
            : new CrossEntropyLoss(w, o.IgnoreIndex, o.LabelSmoothing),
        "bce" => new FocalLoss(gamma: 0, alpha: null, w, o.IgnoreIndex, LossMode.Binary),
        "focal" => new FocalLoss(o.FocalGamma, o.FocalAlpha, w, o.IgnoreIndex, o.Mode),
        "dice" => new DiceLoss(o.DiceSmooth, o.DicePerClass, o.DiceLogCosh, w, o.IgnoreIndex, o.Mode),
        "tversky" => new TverskyLoss(o.TverskyAlpha, o.TverskyBeta, 1.0, o.DiceSmooth, w, o.IgnoreIndex, o.Mode),
        "focal_tversky" => new TverskyLoss(o.TverskyAlpha, o.TverskyBeta, o.TverskyGamma, o.DiceSmooth, w, o.IgnoreIndex, o.Mode),
        "jaccard" => new JaccardLoss(o.DiceSmooth, w, o.IgnoreIndex, o.Mode),
        "lovasz" => o.Mode == LossMode.Binary
            ? new LovaszHingeLoss(o.LovaszPerImage, w, o.IgnoreIndex)
            : new LovaszSoftmaxLoss(o.LovaszPerImage, allClasses: false, w, o.IgnoreIndex),
        "lovasz_hinge" => new LovaszHingeLoss(o.LovaszPerImage, w, o.IgnoreIndex),
        "boundary" => Softmax(name, o, new BoundaryCrossEntropyLoss(o.BoundaryWeight, o.BoundaryWidth, w, o.IgnoreIndex)),
        "ohem" => Softmax(name, o, new OhemCrossEntropyLoss(o.OhemThreshold, o.OhemMinKept, w, o.IgnoreIndex)),
        _ => throw new SharpSegException($"loss.name: '{name}' is not a known loss{NearestName.Hint(name, Names)}."),
    };

    private static ISegmentationLoss Softmax(string name, LossOptions o, ISegmentationLoss loss) => o.Mode == LossMode.Multiclass ? loss
        : throw new SharpSegException($"loss '{name}' is softmax-only; use loss.mode multiclass, or a loss that has a binary mode (bce, focal, dice, tversky, focal_tversky, jaccard, lovasz).");

    /// <summary>Parses <c>multiclass</c> / <c>binary</c> (also <c>softmax</c> / <c>sigmoid</c>, <c>multilabel</c>).</summary>
    public static LossMode ParseMode(string? text) => (text ?? "multiclass").Trim().ToLowerInvariant() switch
    {
        "multiclass" or "softmax" => LossMode.Multiclass,
        "binary" or "sigmoid" or "multilabel" => LossMode.Binary,
        var m => throw new SharpSegException($"loss.mode: '{m}' is not known{NearestName.Hint(m, ["multiclass", "binary", "softmax", "sigmoid"])}."),
    };
}
