using System.ComponentModel;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary>The options every <c>sharpseg data from-…</c> import shares: where the dataset folder goes, the split's name,
/// and whether to replace a split imported before; and the lines each prints when it is done.</summary>
public abstract class ImportSettings : ImageReadingSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Dataset folder: masks go to DIR/<split>/masks, the dataset.yaml to DIR/dataset.yaml (naming every split imported there).")]
    public string? Out { get; init; }

    [CommandOption("--split <NAME>")]
    [Description("Split name for these images (default train); import the val data again with --split val into the same --out.")]
    public string Split { get; init; } = "train";

    [CommandOption("--force")]
    [Description("Replace the split's masks if it was imported before.")]
    public bool Force { get; init; }

    /// <summary>The <c>--images</c> folder <paramref name="images"/>, or one line saying that <c>data
    /// <paramref name="command"/></c> needs it (<paramref name="imagesAre"/>: what that folder is).</summary>
    public static string RequireImages(string command, string? images, string imagesAre) =>
        string.IsNullOrWhiteSpace(images) ? throw new SharpSegException($"data {command} needs --images DIR, {imagesAre}.") : images;

    /// <summary>The <c>--out</c> folder, or one line saying that <c>data <paramref name="command"/></c> needs it.</summary>
    public string RequireOut(string command) =>
        string.IsNullOrWhiteSpace(Out) ? throw new SharpSegException($"data {command} needs --out DIR, the dataset folder to write masks and dataset.yaml to.") : Out;

    /// <summary>The class table and the next step, as every import ends.</summary>
    public static void PrintClassesAndNext(IReadOnlyList<string> classes, string yamlPath)
    {
        Console.Out.WriteLine(TerminalText.Clean($"classes: {string.Join(", ", classes.Select((c, i) => $"{i} {c}"))}"));
        Console.Out.WriteLine(TerminalText.Clean($"dataset: {yamlPath}; next: sharpseg data check {yamlPath}"));
    }

    /// <summary>A comma-separated <c>--classes</c> list, or null.</summary>
    public static string[]? ClassList(string? value) => value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
