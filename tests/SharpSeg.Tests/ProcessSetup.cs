using System.Runtime.CompilerServices;

namespace SharpSeg.Tests;

/// <summary>What the CLI does first, done before any test loads libtorch (TorchRuntime.PrepareProcess), and the GC
/// stress aid when SHARPSEG_GC_STRESS asks for it, so that the whole suite can run under it.</summary>
internal static class ProcessSetup
{
#pragma warning disable CA2255 // a test assembly's one-time process setup is what module initializers are for
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Run()
    {
        Engine.TorchRuntime.PrepareProcess();
        Engine.GcStress.StartFromEnvironment();
    }
}
