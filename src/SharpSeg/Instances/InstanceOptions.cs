namespace SharpSeg.Instances;

/// <summary>
/// How instances are cut from a class-index mask. <see cref="ThingClasses"/> are split into connected components
/// (null: every class not in <see cref="StuffClasses"/>); <see cref="StuffClasses"/> get one panoptic segment per class
/// and no instance ids; pixels of other classes, and of the ignore value, are void (id 0). Class names are those of the
/// class table used; <see cref="Resolve"/> checks them.
/// </summary>
public sealed record InstanceOptions
{
    /// <summary>Default neighbourhood: 8 (pixels touching at a corner are one instance).</summary>
    public const Connectivity DefaultConnectivity = Connectivity.Eight;

    public Connectivity Connectivity { get; init; } = DefaultConnectivity;
    /// <summary>Instances with fewer pixels are dropped (their pixels become void). Default 0: keep all.</summary>
    public int MinArea { get; init; }
    /// <summary>Give enclosed void regions to the instance around them.</summary>
    public bool FillHoles { get; init; }
    /// <summary>Names of the classes split into instances; null = every class not listed as stuff.</summary>
    public IReadOnlyList<string>? ThingClasses { get; init; }
    /// <summary>Names of the classes that get one panoptic segment each (e.g. road, sky).</summary>
    public IReadOnlyList<string> StuffClasses { get; init; } = [];

    /// <summary>Parses "4" or "8".</summary>
    public static Connectivity ParseConnectivity(int value) => value switch
    {
        4 => Connectivity.Four,
        8 => Connectivity.Eight,
        _ => throw new SharpSegException($"--connectivity {value}: must be 4 (edge neighbours) or 8 (edge and corner neighbours)."),
    };

    /// <summary>Checks the options against a class table and turns names into per-class flags (index = class index).</summary>
    public ResolvedInstanceOptions Resolve(Data.Dataset.ClassTable classes, string tableSource)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (MinArea < 0) throw new SharpSegException($"--min-area {MinArea}: must be 0 or more pixels.");
        if (Connectivity is not (Connectivity.Four or Connectivity.Eight)) ParseConnectivity((int)Connectivity);
        int IndexOf(string name, string option)
        {
            int i = classes.IndexOf(name);
            if (i >= 0) return i;
            string? near = Configuration.NearestName.Suggest(name, classes.Names);
            throw new SharpSegException($"{option}: no class '{name}' in {tableSource} (classes: {string.Join(", ", classes.Names.Take(20))}{(classes.Count > 20 ? ", …" : "")}){(near != null ? $"; did you mean '{near}'?" : ".")}");
        }
        var stuff = new bool[classes.Count];
        foreach (var name in StuffClasses) stuff[IndexOf(name, "--stuff")] = true;
        var things = new bool[classes.Count];
        if (ThingClasses == null)
            for (int c = 0; c < classes.Count; c++) things[c] = !stuff[c];
        else
            foreach (var name in ThingClasses)
            {
                int c = IndexOf(name, "--classes");
                if (stuff[c]) throw new SharpSegException($"class '{name}' is both in --classes and in --stuff; a class is either split into instances or one segment.");
                things[c] = true;
            }
        return new ResolvedInstanceOptions(classes, things, stuff, this) { ListEmptyClasses = !ReferenceEquals(classes, IndexMaskClasses) };
    }

    /// <summary>
    /// The class table for masks read without a dataset definition: value v (0..254) is class v, named "class{v}"; 255 is
    /// ignore. Summaries over it list only the classes seen.
    /// </summary>
    public static Data.Dataset.ClassTable IndexMaskClasses { get; } = new(Enumerable.Range(0, Imaging.LabelMask.MaxClasses)
        .Select(i => new Data.Dataset.ClassInfo($"class{i}", Data.Dataset.ClassTable.DefaultColor(i), i)).ToArray());
}

/// <summary><see cref="InstanceOptions"/> checked against a class table: per class index, whether it is a thing or stuff.</summary>
public sealed record ResolvedInstanceOptions(Data.Dataset.ClassTable Classes, bool[] Things, bool[] Stuff, InstanceOptions Options)
{
    /// <summary>Whether summaries list thing classes without any instance (false for <see cref="InstanceOptions.IndexMaskClasses"/>).</summary>
    public bool ListEmptyClasses { get; init; } = true;
}
