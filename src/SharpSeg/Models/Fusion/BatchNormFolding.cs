using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpSeg.Models.Fusion;

/// <summary>
/// Folds a BatchNorm2d in eval mode into the convolution before it: <c>BN(conv(x)) = conv'(x)</c> with
/// <c>W'[o] = W[o] · γ[o] / √(σ²[o] + ε)</c> and <c>b'[o] = (b[o] − μ[o]) · γ[o] / √(σ²[o] + ε) + β[o]</c>.
/// <see cref="Fold(Tensor, Tensor?, Tensor, Tensor, Tensor?, Tensor?, double)"/> is the only place of that arithmetic:
/// TorchSharp inference (<see cref="FoldInPlace"/>) and the ONNX exporter both call it.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>The folded weight <c>[O, I/groups, kh, kw]</c> and bias <c>[O]</c> (new float32 tensors on the weight's
    /// device), computed in float64 so folding adds no rounding beyond the final cast.</summary>
    /// <param name="weight">Convolution weight <c>[O, I/groups, kh, kw]</c>.</param>
    /// <param name="bias">Convolution bias <c>[O]</c>, or null.</param>
    /// <param name="runningMean">BatchNorm running mean μ <c>[O]</c>.</param>
    /// <param name="runningVar">BatchNorm running variance σ² <c>[O]</c>.</param>
    /// <param name="gamma">BatchNorm weight γ <c>[O]</c> (null: 1).</param>
    /// <param name="beta">BatchNorm bias β <c>[O]</c> (null: 0).</param>
    /// <param name="eps">BatchNorm ε.</param>
    public static (Tensor Weight, Tensor Bias) Fold(Tensor weight, Tensor? bias, Tensor runningMean, Tensor runningVar, Tensor? gamma, Tensor? beta, double eps)
    {
        ArgumentNullException.ThrowIfNull(weight);
        long o = weight.shape[0];
        if (runningMean.numel() != o || runningVar.numel() != o)
            throw new ArgumentException($"BatchNorm has {runningMean.numel()} channels but the convolution has {o} outputs");
        using var noGrad = torch.no_grad();
        using var d = torch.NewDisposeScope();
        var f64 = ScalarType.Float64;
        var scale = runningVar.to(f64).add(eps).rsqrt();
        if (gamma is not null) scale = scale.mul(gamma.detach().to(f64));
        var shift = (bias is null ? torch.zeros(o, dtype: f64, device: weight.device) : bias.detach().to(f64)).sub(runningMean.to(f64)).mul(scale);
        if (beta is not null) shift = shift.add(beta.detach().to(f64));
        var w = weight.detach().to(f64).mul(scale.reshape(o, 1, 1, 1)).to(weight.dtype);
        var b = shift.to(weight.dtype);
        return (w.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
    }

    /// <summary>The folded weight and bias of <paramref name="conv"/> followed by <paramref name="bn"/> (its running
    /// statistics, i.e. eval-mode BatchNorm).</summary>
    public static (Tensor Weight, Tensor Bias) Fold(Conv2d conv, BatchNorm2d bn)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        if (bn.running_mean is null || bn.running_var is null)
            throw new SharpSegException("a BatchNorm without running statistics cannot be folded into its convolution.");
        return Fold(conv.weight!, conv.bias, bn.running_mean, bn.running_var, bn.affine ? bn.weight : null, bn.affine ? bn.bias : null, bn.eps);
    }

    /// <summary>
    /// Folds every Conv2d → BatchNorm2d pair of <paramref name="model"/> for inference, in place: the convolution gets
    /// the folded weight and a bias, the BatchNorm is replaced by an identity. The model is put in eval mode and can no
    /// longer be trained or saved as a checkpoint of its config (the BatchNorm parameters are gone). Returns the number
    /// of pairs folded.
    /// </summary>
    /// <remarks>Pairs are found by running one forward pass on a small input and recording which BatchNorm receives a
    /// convolution's output directly, so every module layout (Sequential children, fields of a block such as ResNet's
    /// <c>conv1</c>/<c>bn1</c>) is covered without a list of module types. That convolution output must have no other
    /// consumer, which holds for every model of the zoo (the parity test over <see cref="ModelZoo.Registered"/> checks
    /// the logits).</remarks>
    public static int FoldInPlace(SegmentationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.eval();
        var pairs = FindPairs(model);
        var paths = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var pathOf = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, module) in model.named_modules()) pathOf.TryAdd(module, name);
        using var noGrad = torch.no_grad();
        foreach (var (conv, bn) in pairs)
        {
            var (w, b) = Fold(conv, bn);
            conv.weight = new Parameter(w.DetachFromDisposeScope(), requires_grad: false);
            conv.bias = new Parameter(b.DetachFromDisposeScope(), requires_grad: false);
            string path = pathOf[bn];
            int dot = path.LastIndexOf('.');
            var parent = dot < 0 ? model : paths[path[..dot]];
            ModuleSurgery.ReplaceChild(parent, path[(dot + 1)..], bn, nn.Identity());
        }
        return pairs.Count;
    }

    /// <summary>(conv, bn) pairs where the BatchNorm's input is the convolution's output, in execution order.</summary>
    static List<(Conv2d Conv, BatchNorm2d Bn)> FindPairs(SegmentationModel model)
    {
        var producer = new Dictionary<Tensor, Conv2d>(ReferenceEqualityComparer.Instance);
        var pairs = new List<(Conv2d, BatchNorm2d)>();
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        var removers = new List<Action>();
        foreach (var (_, m) in model.named_modules())
        {
            if (m is Conv2d conv)
                removers.Add(conv.register_forward_hook((_, _, y) => { producer[y] = conv; return y; }).remove);
            else if (m is BatchNorm2d bn)
                removers.Add(bn.register_forward_pre_hook((_, x) =>
                {
                    if (producer.TryGetValue(x, out var c) && seen.Add(bn)) pairs.Add((c, bn));
                    return x;
                }).remove);
        }
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            int side = Math.Max(2 * model.Encoder.OutputStride, 32);
            var device = model.parameters().FirstOrDefault()?.device ?? torch.CPU;
            model.call(torch.zeros(1, model.InChannels, side, side, device: device));
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return pairs;
    }
}
