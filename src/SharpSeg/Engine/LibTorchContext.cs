using System.Runtime.InteropServices;

namespace SharpSeg.Engine;

/// <summary>
/// Switches of libtorch's global context (<c>at::globalContext()</c>) that TorchSharp 0.107 does not expose, called
/// through their exported C++ symbols in libtorch_cpu (x86-64 System V: the context pointer is the first argument).
/// Each call returns false, and changes nothing, where the symbol is absent (another libtorch build).
/// </summary>
internal static class LibTorchContext
{
    const string Lib = "libtorch_cpu";

    [DllImport(Lib, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(Lib, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNNPACK(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Lib, EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledNNPACK(IntPtr context);

    [DllImport(Lib, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Lib, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    static bool Try(Action action)
    {
        try { action(); return true; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return false; }
    }

    /// <summary>Turns NNPACK on or off (torch.backends.nnpack). Off, libtorch never initialises it.</summary>
    public static bool SetNNPACK(bool enabled) => Try(() => SetUserEnabledNNPACK(GlobalContext(), enabled));

    /// <summary>Whether NNPACK may be used, or null when unknown.</summary>
    public static bool? NNPACKEnabled() { bool? v = null; Try(() => v = UserEnabledNNPACK(GlobalContext())); return v; }

    /// <summary>Turns oneDNN (mkldnn) kernels on or off (torch.backends.mkldnn.enabled).</summary>
    public static bool SetOneDnn(bool enabled) => Try(() => SetUserEnabledMkldnn(GlobalContext(), enabled));

    /// <summary>Whether oneDNN kernels may be used, or null when unknown.</summary>
    public static bool? OneDnnEnabled() { bool? v = null; Try(() => v = UserEnabledMkldnn(GlobalContext())); return v; }
}
