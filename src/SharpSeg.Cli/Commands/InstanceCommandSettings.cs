using System.ComponentModel;
using SharpSeg.Instances;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary>How instances are cut from masks: the flags shared by <c>instances</c>, <c>predict --instances</c> and
/// <c>eval --instances</c>. Flags left out take <see cref="InstanceOptions"/>'s defaults.</summary>
public class InstanceCommandSettings : InferenceCommandSettings
{
    [CommandOption("--classes <LIST>")][Description("Classes split into instances, comma-separated names (default: every class not in --stuff)")] public string? Classes { get; init; }
    [CommandOption("--stuff <LIST>")][Description("Classes that get one panoptic segment each and no instance ids, e.g. road,sky")] public string? Stuff { get; init; }
    [CommandOption("--connectivity <4|8>")][Description("Pixels touching at a corner are one instance with 8 (default), separate with 4")] public int? Connectivity { get; init; }
    [CommandOption("--min-area <PIXELS>")][Description("Drop instances smaller than this (default 0: keep all)")] public int? MinArea { get; init; }
    [CommandOption("--fill-holes")][Description("Give unlabelled regions enclosed by an instance to that instance")] public bool FillHoles { get; init; }

    /// <summary>Whether any instance flag was given (to refuse them without <c>--instances</c>).</summary>
    public bool AnyInstanceFlag => Classes != null || Stuff != null || Connectivity != null || MinArea != null || FillHoles;

    public InstanceOptions ToInstanceOptions()
    {
        var defaults = new InstanceOptions();
        return defaults with
        {
            Connectivity = Connectivity is int c ? InstanceOptions.ParseConnectivity(c) : defaults.Connectivity,
            MinArea = MinArea ?? defaults.MinArea,
            FillHoles = FillHoles,
            ThingClasses = Classes == null ? defaults.ThingClasses : List(Classes, "--classes"),
            StuffClasses = Stuff == null ? defaults.StuffClasses : List(Stuff, "--stuff"),
        };
    }

    static string[] List(string text, string option)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new SharpSegException($"{option} '{text}': give class names separated by commas, e.g. {option} car,pedestrian.");
        return names;
    }
}
