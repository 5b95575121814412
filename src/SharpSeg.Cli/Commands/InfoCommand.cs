using SharpSeg.Engine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

public sealed class InfoCommand : Command<InfoCommand.Settings>
{
    public sealed class Settings : CommandSettings { }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        AnsiConsole.WriteLine("SharpSeg " + typeof(TorchRuntime).Assembly.GetName().Version);
        AnsiConsole.WriteLine(TorchRuntime.Describe());
        AnsiConsole.WriteLine($"TorchSharp handles kept alive during libtorch calls: {(TorchRuntime.HandlesKeptAlive ? "yes" : "NO (rebuild: build/TorchSharpFixes.targets)")}");
        var check = TorchRuntime.EnsureConfigured();
        AnsiConsole.WriteLine($"kernel check (convolutions, matmul, BatchNorm against double-precision references): {(check.Passed ? "passed" : check.Failure)}");
        AnsiConsole.WriteLine("convolutions: " + TorchRuntime.DescribeConvolutions());
        AnsiConsole.WriteLine("mixed precision: " + TorchRuntime.DescribeMixedPrecision());
        Console.Out.WriteLine("native heap: " + NativeHeap.Describe()); // one unwrapped line, for grep
        AnsiConsole.WriteLine("channels-last training: " + SharpSeg.Models.Fusion.ChannelsLast.DescribeTraining());
        return 0;
    }
}
