using SharpSeg.Data;
using SharpSeg.Data.Loading;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Features of a frozen encoder, read the same way by <see cref="LinearProbe"/> and by the frozen-encoder curation
/// evaluator (<c>Curation.Simulation.FrozenEncoderFeatures</c>): one image resized by a scale, padded to the encoder's
/// output stride by replicating its border, the maps of the chosen stages kept; then every channel standardised with
/// the statistics of the training images.
/// </summary>
public static class FrozenFeaturePass
{
    /// <summary>One image's features.</summary>
    /// <param name="Maps">The kept stages' maps, <c>[1, C, h, w]</c> each, detached and owned by the caller.</param>
    /// <param name="Mask">The resized mask, <c>[1, H, W]</c> int64, owned by the caller.</param>
    /// <param name="PaddedHeight">Height of the padded input.</param>
    /// <param name="PaddedWidth">Width of the padded input.</param>
    /// <param name="Sample">The resized sample (image and mask as the encoder saw them).</param>
    public sealed record Features(Tensor[] Maps, Tensor Mask, long PaddedHeight, long PaddedWidth, SegmentationSample Sample);

    /// <summary>Runs <paramref name="encoder"/> (already frozen and in eval mode) on <paramref name="original"/> resized by
    /// <paramref name="scale"/>, keeping the maps of <paramref name="stages"/>.</summary>
    public static Features Run(Encoder encoder, SegmentationSample original, Normalization normalization, IReadOnlyList<int> stages, double scale, Device device)
    {
        var sample = scale == 1 ? original : new RandomScale(scale, scale).Apply(original, new Random(0));
        int stride = encoder.OutputStride;
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var x = ImageTensors.ToTensor(sample.Image, normalization).to(device);
        long h = x.shape[2], w = x.shape[3], ph = (stride - h % stride) % stride, pw = (stride - w % stride) % stride;
        if (ph > 0 || pw > 0) x = nn.functional.pad(x, [0, pw, 0, ph], PaddingModes.Replicate);
        var maps = encoder.call(x);
        var kept = stages.Select(s => maps[s].detach().clone().DetachFromDisposeScope()).ToArray();
        var mask = ImageTensors.ToTensor(sample.Mask).to(device).DetachFromDisposeScope();
        return new Features(kept, mask, h + ph, w + pw, sample);
    }

    /// <summary>Per-channel standardisation, in place: every map of <paramref name="targets"/> (<c>[1, C, h, w]</c>) has
    /// the mean of its channel over all cells of <paramref name="reference"/> subtracted and is divided by their standard
    /// deviation (a linear map, so a linear probe on top stays linear; no labels involved).</summary>
    public static void Standardise(IEnumerable<Tensor> reference, IEnumerable<Tensor> targets)
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var all = torch.cat(reference.Select(m => m.flatten(2).squeeze(0)).ToArray(), 1); // [C, cells]
        var mean = all.mean([1L], keepdim: true).unsqueeze(0).unsqueeze(-1);
        var std = all.std(1, keepdim: true).unsqueeze(0).unsqueeze(-1).clamp_min(1e-6);
        foreach (var t in targets) t.sub_(mean).div_(std);
    }
}
