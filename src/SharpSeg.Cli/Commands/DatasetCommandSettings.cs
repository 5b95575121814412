using System.ComponentModel;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary>Arguments shared by the commands that read one dataset: the yaml, a root override, and one split.</summary>
public class DatasetCommandSettings : ImageReadingSettings
{
    [CommandArgument(0, "<dataset.yaml>")]
    [Description("The dataset definition.")]
    public string Dataset { get; init; } = "";

    [CommandOption("--data-root <DIR>")]
    [Description("Dataset root folder; replaces the yaml's 'root'.")]
    public string? DataRoot { get; init; }

    [CommandOption("--split <NAME>")]
    [Description("Only this split (default: all).")]
    public string? Split { get; init; }
}
