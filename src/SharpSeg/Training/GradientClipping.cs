using SharpSeg.Engine;
using static TorchSharp.torch;

namespace SharpSeg.Training;

/// <summary>
/// The total gradient norm of a set of parameters, and clipping by it as <c>torch.nn.utils.clip_grad_norm_</c> does
/// (every gradient scaled by <c>max_norm / (norm + 1e-6)</c> when that is below 1), with the norm summed so that its
/// bits do not depend on the CPU thread count (<see cref="ThreadInvariant"/>).
/// </summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients together (0 when none has a gradient); NaN or ∞ when one is not finite.</summary>
    public static double TotalNorm(IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var squares = Gradients(parameters).Select(g => ThreadInvariant.Sum(g.to_type(ScalarType.Float32).square())).ToList();
        return squares.Count == 0 ? 0 : Math.Sqrt(stack(squares).to_type(ScalarType.Float64).sum().item<double>());
    }

    /// <summary>
    /// Scales the gradients so that their total norm is at most <paramref name="maxNorm"/>, given their norm
    /// <paramref name="totalNorm"/> (<see cref="TotalNorm"/>). Returns the factor applied (1 = unchanged).
    /// </summary>
    public static double Clip(IEnumerable<TorchSharp.Modules.Parameter> parameters, double maxNorm, double totalNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"max norm must be positive, got {maxNorm}");
        double factor = maxNorm / (totalNorm + 1e-6);
        if (!(factor < 1)) return 1;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var g in Gradients(parameters)) g.mul_(factor);
        return factor;
    }

    static IEnumerable<Tensor> Gradients(IEnumerable<TorchSharp.Modules.Parameter> parameters) =>
        parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!);
}
