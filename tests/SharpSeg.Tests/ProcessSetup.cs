using System.Runtime.CompilerServices;

namespace SharpSeg.Tests;

/// <summary>What the CLI does first, done before any test loads libtorch (TorchRuntime.PrepareProcess), the engine's
/// kernel check, and the GC stress aid when SHARPSEG_GC_STRESS asks for it, so that the whole suite can run under it.</summary>
internal static class ProcessSetup
{
#pragma warning disable CA2255 // a test assembly's one-time process setup is what module initializers are for
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Run()
    {
        Engine.TorchRuntime.PrepareProcess();
        // The kernel check before any test computes: on a CPU whose oneDNN kernels are wrong (AMD Zen 5) a test that
        // built a bare module and took a gradient before anything else had configured the engine got NaNs (the library
        // configures it in SegmentationModel, Trainer, Pretrainer and the predictors; this covers bare modules too).
        Engine.TorchRuntime.EnsureConfigured();
        Engine.GcStress.StartFromEnvironment();
    }
}
