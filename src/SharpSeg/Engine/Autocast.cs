using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Engine;

/// <summary>
/// libtorch's automatic mixed precision on the CPU (<c>torch.autocast("cpu", dtype=torch.bfloat16)</c>), which
/// TorchSharp 0.107 does not expose, called through the exported C++ symbols of libtorch_cpu as
/// <see cref="LibTorchContext"/> does. Inside a region, convolutions, matrix products and linear layers run in
/// bfloat16 (weights are cast on the fly, once per region, and the fp32 parameters stay the master copy: gradients
/// flow back through the casts in fp32); numerically sensitive ops (losses, softmax-like reductions, upsampling) stay
/// fp32 by libtorch's own lists. The state is per thread, like PyTorch's: enter and leave on the thread that runs the
/// forward pass.
/// </summary>
internal static class Autocast
{
    const string Lib = "libtorch_cpu";
    const sbyte DeviceCpu = 0; // c10::DeviceType::CPU

    [DllImport(Lib, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
    private static extern void SetEnabled(sbyte device, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Lib, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool IsEnabled(sbyte device);

    [DllImport(Lib, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
    private static extern void SetDtype(sbyte device, sbyte scalarType);

    [DllImport(Lib, EntryPoint = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE")]
    private static extern sbyte GetDtype(sbyte device);

    [DllImport(Lib, EntryPoint = "_ZN2at8autocast17increment_nestingEv")]
    private static extern int IncrementNesting();

    [DllImport(Lib, EntryPoint = "_ZN2at8autocast17decrement_nestingEv")]
    private static extern int DecrementNesting();

    [DllImport(Lib, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
    private static extern void ClearCache();

    static readonly Lazy<bool> available = new(() =>
    {
        try { IsEnabled(DeviceCpu); return true; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return false; }
    });

    /// <summary>Whether this libtorch exports the autocast switches.</summary>
    public static bool Available => available.Value;

    /// <summary>Parses a precision setting: <c>fp32</c> (null) or <c>bf16</c> (bfloat16); <paramref name="setting"/> names
    /// where it came from for the one-line error (e.g. "recipe.yaml: train.precision", "--precision").</summary>
    public static ScalarType? ParsePrecision(string? value, string setting) =>
        (value ?? "fp32").Trim().ToLowerInvariant() switch
        {
            "fp32" or "float32" => null,
            "bf16" or "bfloat16" => ScalarType.BFloat16,
            var v => throw new SharpSegException($"{setting} must be fp32 or bf16, got '{v}'."),
        };

    /// <summary>The precision of a <c>--bf16</c> switch: bfloat16 when on, null (plain fp32) when off.</summary>
    public static ScalarType? Precision(bool bf16) => bf16 ? ScalarType.BFloat16 : null;

    /// <summary>The name of a precision (<see cref="ParsePrecision"/>'s inverse), for logs.</summary>
    public static string PrecisionName(ScalarType? dtype) => dtype is null ? "fp32" : "bf16";

    /// <summary>A forward pass at <paramref name="dtype"/> (null: plain fp32): run under autocast, then its outputs cast
    /// back to fp32 by <paramref name="toFp32"/> (e.g. <see cref="Fp32"/>), so that losses and metrics stay in fp32.</summary>
    public static T Forward<T>(Device device, ScalarType? dtype, Func<T> forward, Func<T, T> toFp32) =>
        dtype is { } d ? toFp32(Run(device.type, d, forward)) : forward();

    /// <summary><paramref name="t"/> as float32 (itself when it already is).</summary>
    public static Tensor Fp32(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to_type(ScalarType.Float32);

    /// <summary>
    /// Runs <paramref name="forward"/> with autocast to <paramref name="dtype"/> (bfloat16 or float16) for tensors on
    /// <paramref name="device"/>'s type (CPU or CUDA) on this thread, then restores the previous state (and, leaving the
    /// outermost region, drops the cached weight casts).
    /// </summary>
    public static T Run<T>(DeviceType device, ScalarType dtype, Func<T> forward)
    {
        if (!Available) throw new SharpSegException("mixed precision needs libtorch's autocast, which this libtorch build does not export; set train.precision: fp32.");
        sbyte d = (sbyte)device; // TorchSharp's DeviceType and ScalarType mirror c10's values
        bool previous = IsEnabled(d);
        sbyte previousDtype = GetDtype(d);
        SetDtype(d, (sbyte)dtype);
        SetEnabled(d, true);
        IncrementNesting();
        try { return forward(); }
        finally
        {
            if (DecrementNesting() == 0) ClearCache();
            SetEnabled(d, previous);
            SetDtype(d, previousDtype);
        }
    }
}
