using System.ComponentModel;
using SharpSeg.Models;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg models</c>: the model zoo as a table (name, parameters, output stride, GMACs, what it is for).</summary>
public sealed class ModelsCommand : Command<ModelsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-a|--architecture <NAME>")][Description("Only this architecture (unet, fcn, deeplabv3, ...)")] public string? Architecture { get; init; }
        [CommandOption("-e|--encoder <NAME>")][Description("Only this encoder (resnet50, mobilenet_v3_large, ...)")] public string? Encoder { get; init; }
        [CommandOption("--classes <N>")][Description("Number of classes for the parameter count (default 21, as torchvision)")] public int Classes { get; init; } = 21;
        [CommandOption("--flops")][Description("Also count multiply-accumulates of one forward pass (slow on CPU: seconds per model)")] public bool Flops { get; init; }
        [CommandOption("--size <PIXELS>")][Description("Square image size for --flops (default 512)")] public int Size { get; init; } = 512;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Classes < 1) throw new SharpSegException($"--classes must be at least 1, got {s.Classes}.");
        if (s.Size < 32) throw new SharpSegException($"--size must be at least 32, got {s.Size}.");
        var entries = ModelZoo.Combinations
            .Where(e => s.Architecture is null || string.Equals(e.Architecture, s.Architecture.Trim(), StringComparison.OrdinalIgnoreCase))
            .Where(e => s.Encoder is null || string.Equals(e.Encoder, s.Encoder.Trim(), StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (entries.Count == 0)
            throw new SharpSegException($"no model matches: architectures are {string.Join(", ", ModelZoo.Architectures.Keys)}; encoders are {string.Join(", ", ModelZoo.Encoders.Keys)}.");
        var rows = ProgressRunner.Run("building models", _ => ModelZoo.Describe(s.Classes, s.Flops ? s.Size : null, entries));
        // Describe builds each model with random weights: seconds for the whole zoo, minutes with --flops at 512.
        var table = new Table().AddColumn("model").AddColumn(new TableColumn("parameters").RightAligned())
            .AddColumn(new TableColumn("output stride").RightAligned());
        if (s.Flops) table.AddColumn(new TableColumn($"GMACs @{s.Size}²").RightAligned());
        table.AddColumn("what it is for");
        foreach (var r in rows)
        {
            var cells = new List<string> { ConsoleOutput.Escape(r.Name), $"{r.Parameters:N0}", $"{r.OutputStride}" };
            if (s.Flops) cells.Add(r.GigaMacs is { } g ? $"{g:F1}" : "");
            cells.Add(ConsoleOutput.Escape(r.Description));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[grey]{rows.Count} models; parameters at {s.Classes} classes without the aux head (aux_head: true adds torchvision's FCN head); unet/unet is the plain U-Net at base_width 32, depth 4. Choose with model.architecture and model.encoder; model.output_stride overrides the stride.[/]");
        return 0;
    }
}
