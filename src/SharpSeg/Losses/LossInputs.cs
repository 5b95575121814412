using static TorchSharp.torch;

namespace SharpSeg.Losses;

/// <summary>
/// Checks shared by every loss, and the pieces they are built from: the int64 target with ignored pixels replaced by
/// class 0 (so gathers and one-hots stay in range), the validity mask, probabilities and one-hot targets.
/// </summary>
internal static class LossInputs
{
    /// <summary>Validates shapes and target values; returns (int64 target, valid [N, H, W] bool, safe target with ignored → 0).</summary>
    public static (Tensor Target, Tensor Valid, Tensor SafeTarget) Prepare(Tensor logits, Tensor target, long ignoreIndex, LossMode mode = LossMode.Multiclass)
    {
        if (logits.dim() != 4) throw new ArgumentException($"logits must be [N, C, H, W], got [{string.Join(", ", logits.shape)}]", nameof(logits));
        if (target.dim() != 3 || target.shape[0] != logits.shape[0] || target.shape[1] != logits.shape[2] || target.shape[2] != logits.shape[3])
            throw new ArgumentException($"target must be [N, H, W] = [{logits.shape[0]}, {logits.shape[2]}, {logits.shape[3]}], got [{string.Join(", ", target.shape)}]", nameof(target));
        long c = logits.shape[1];
        Tensor t = target.dtype == ScalarType.Int64 ? target : target.to_type(ScalarType.Int64);
        Tensor valid = t.ne(ignoreIndex);
        Tensor safe = t.masked_fill(valid.logical_not(), 0);
        long classes = mode == LossMode.Binary && c == 1 ? 2 : c;
        if (safe.numel() > 0)
        {
            long max = safe.max().item<long>(), min = safe.min().item<long>();
            if (min < 0 || max >= classes)
                throw new SharpSegException(mode == LossMode.Binary && c == 1
                    ? $"a target pixel has value {(min < 0 ? min : max)} but a binary loss with one output channel takes 0 (background) or 1 (foreground), ignore {ignoreIndex}: map the mask to 0/1 or give the model one channel per class."
                    : $"a target pixel has class {(min < 0 ? min : max)} but the model outputs {c} classes (0..{c - 1}, ignore {ignoreIndex}): training gives the model one output per class of the dataset (its classes: list in dataset.yaml), so list every class there, or map the value to the ignore index.");
        }
        return (t, valid, safe);
    }

    /// <summary>Throws when a class-weight list does not have one weight per output channel.</summary>
    public static void CheckWeightCount(float[]? classWeights, long channels)
    {
        if (classWeights is not null && classWeights.Length != channels)
            throw new SharpSegException($"loss has {classWeights.Length} class weights but the model outputs {channels} classes: give one weight per class.");
    }

    /// <summary>Validates a class-weight list at construction (finite, non-negative) and copies it.</summary>
    public static float[]? CopyWeights(float[]? classWeights)
    {
        if (classWeights is not null && classWeights.Any(w => !(w >= 0) || float.IsInfinity(w)))
            throw new SharpSegException($"loss class weights must be finite and non-negative, got [{string.Join(", ", classWeights)}].");
        return classWeights?.ToArray();
    }

    /// <summary>Probabilities <c>[N, C, H, W]</c>: softmax over channels, or a sigmoid per channel.</summary>
    public static Tensor Probabilities(Tensor logits, LossMode mode) =>
        mode == LossMode.Multiclass ? nn.functional.softmax(logits, 1) : nn.functional.sigmoid(logits);

    /// <summary>
    /// One-hot target <c>[N, C, H, W]</c> in the logits' dtype (zero at ignored pixels). In binary mode with one channel
    /// it is the 0/1 target itself.
    /// </summary>
    public static Tensor OneHot(Tensor safeTarget, Tensor valid, long channels, LossMode mode, ScalarType dtype)
    {
        Tensor oneHot = mode == LossMode.Binary && channels == 1
            ? safeTarget.unsqueeze(1)
            : nn.functional.one_hot(safeTarget, channels).permute(0, 3, 1, 2);
        return oneHot.to_type(dtype) * valid.unsqueeze(1).to_type(dtype);
    }

    /// <summary>Class weights as a tensor on the logits' device and dtype, or ones.</summary>
    public static Tensor Weights(float[]? classWeights, Tensor logits) =>
        classWeights is null ? ones(logits.shape[1], dtype: logits.dtype, device: logits.device)
            : tensor(classWeights, device: logits.device).to_type(logits.dtype);

    /// <summary><c>numerator / denominator</c>, or 0 (still connected to <paramref name="numerator"/>'s graph) when the denominator is not positive.</summary>
    public static Tensor SafeDivide(Tensor numerator, Tensor denominator)
    {
        Tensor hasMass = denominator.gt(0);
        return where(hasMass, numerator / where(hasMass, denominator, ones_like(denominator)), numerator * 0);
    }
}
