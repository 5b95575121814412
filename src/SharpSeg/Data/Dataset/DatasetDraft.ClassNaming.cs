using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>How a draft names its classes: from <c>data init --classes</c> or the class list a labelling tool wrote beside
/// the masks (<see cref="ClassList"/>), where it fits the values or colours found.</summary>
public sealed partial class DatasetDraft
{
    /// <summary>The class list that names the drafted classes (<c>--classes</c>, or a file found beside the masks), or
    /// null when they keep placeholder names.</summary>
    public ClassList? ClassNames { get; private set; }

    /// <summary>Why a class list found beside the masks was not used (it names other values or colours, or does not
    /// read as one), or null.</summary>
    public string? ClassListNote { get; private set; }

    /// <summary>The drafted classes, in the order written: each found value or colour (<see cref="DraftClass.Label"/>),
    /// named from <see cref="ClassNames"/> or <c>class_N</c>, and the classes the list names that no inspected mask
    /// shows. <see cref="DraftClass.Ignore"/> ones go to <c>mask.ignore_values</c>/<c>ignore_colors</c>.</summary>
    public IReadOnlyList<DraftClass> Classes { get; private set; } = [];

    bool IsIndexKind => MaskKind is DraftMaskKind.GrayIndex or DraftMaskKind.PaletteIndex;

    void NameClasses(ClassList? given, IEnumerable<string> folders, IEnumerable<string> above)
    {
        string? skipped = null;
        var list = given ?? ClassList.Find(folders, out skipped, above);
        Dictionary<DraftLabel, ClassListEntry>? map = null;
        if (list != null && (map = MatchClasses(list, out string? why)) == null)
        {
            if (given != null) throw new SharpSegException($"{given.Source}: {why}; name the classes so that they fit the masks in '{MasksDir}'.");
            ClassListNote = $"{list.Source} was not used: {why}";
            list = null;
        }
        else if (list == null && skipped != null) ClassListNote = $"{skipped} It was not used.";
        ClassNames = list;

        var classes = new List<DraftClass>();
        int index = 0;
        foreach (var l in Labels)
        {
            ClassListEntry? e = map != null && map.TryGetValue(l, out var found) ? found : null;
            bool ignore = e != null ? ClassList.MeansIgnore(e.Name) : IsIndexKind && SuggestedIgnoreValues.Contains(l.Value!.Value);
            string name = e?.Name ?? (IsIndexKind ? $"class_{l.Value}" : $"class_{index}");
            classes.Add(new DraftClass(name, IsIndexKind ? l.Value : null, MaskKind == DraftMaskKind.GrayThreshold ? null : l.Color, l, ignore));
            if (!ignore) index++;
        }
        if (list != null && MaskKind != DraftMaskKind.GrayThreshold)
        {
            var used = map!.Values.ToHashSet();
            // Palette masks named by colour: where the list's rows are the palette's order (CVAT's labelmap.txt), an unseen
            // class has its row's value; where they are not, its palette index is unknown (no inspected mask uses its colour).
            bool rowsArePaletteOrder = !PaletteMatchedByColour || map.All(kv => kv.Key.Value == kv.Value.Value);
            var unplaced = new List<string>();
            foreach (var e in list.Entries.Where(e => !used.Contains(e)))
                if (!rowsArePaletteOrder) unplaced.Add(e.Name);
                else if (IsIndexKind) classes.Add(new DraftClass(e.Name, e.Value, e.Color, null, ClassList.MeansIgnore(e.Name)));
                else if (e.Color != null) classes.Add(new DraftClass(e.Name, null, e.Color, null, ClassList.MeansIgnore(e.Name)));
            if (unplaced.Count > 0)
                ClassListNote = $"{list.Source} names the palette's classes by colour; {string.Join(", ", unplaced)} {(unplaced.Count == 1 ? "is" : "are")} in no inspected mask, so {(unplaced.Count == 1 ? "its" : "their")} palette index is not known: add {(unplaced.Count == 1 ? "it" : "them")} to classes with the value the masks use.";
            if (IsIndexKind) classes = classes.OrderBy(c => c.Value).ToList();
            else
            {
                // Colour masks named by a list: its order, which is the class order the labelling tool used.
                var order = list.Entries.Select((e, i) => (e.Color!.Value, i)).ToDictionary(x => x.Value, x => x.i);
                classes = classes.OrderBy(c => c.Label != null && map.TryGetValue(c.Label, out var e) ? order[e.Color!.Value] : order.GetValueOrDefault(c.Color!.Value, int.MaxValue)).ToList();
            }
        }
        Classes = classes;
    }

    /// <summary>Which entry of <paramref name="list"/> names each found value or colour; null (and why) when the list does
    /// not fit the masks: a value or colour it does not name, no colours for colour masks, not two classes for binary ones.</summary>
    Dictionary<DraftLabel, ClassListEntry>? MatchClasses(ClassList list, out string? why)
    {
        why = null;
        var map = new Dictionary<DraftLabel, ClassListEntry>(ReferenceEqualityComparer.Instance);
        var named = list.Entries.Where(e => !ClassList.MeansIgnore(e.Name)).ToList();
        if (MaskKind == DraftMaskKind.GrayThreshold)
        {
            if (named.Count != 2) { why = $"it names {named.Count} classes, and the masks are binary (two classes)"; return null; }
            var two = named.OrderBy(e => e.Value).ToList();
            map[Labels[0]] = two[0]; map[Labels[1]] = two[1];
            return map;
        }
        if (MaskKind == DraftMaskKind.RgbColors)
        {
            if (!list.HasColors) { why = "the masks are colour masks, and it gives no colours"; return null; }
            return MatchColours(list, Labels, skipUnmatchedVoid: false, out why);
        }
        // Palette masks and a list with colours: the palette's colour of each index says which class it is, whatever
        // order the list is in (a class_dict.csv need not follow the palette). Where the colours do not fit, the values do.
        PaletteMatchedByColour = false;
        if (MaskKind == DraftMaskKind.PaletteIndex && list.HasColors && Labels.All(l => l.Color != null)
            && MatchColours(list, Labels, skipUnmatchedVoid: true, out _) is { } byColour)
        {
            PaletteMatchedByColour = true;
            return byColour;
        }
        var byValue = list.Entries.ToDictionary(e => e.Value);
        // A list of the objects' values only (Supervisely's machine colours start at 1): 0 is the background.
        if (list.ValuesGiven && !byValue.ContainsKey(0) && Labels.Any(l => l.Value == 0)) byValue[0] = new ClassListEntry("background", 0, null);
        var classValues = Labels.Where(l => !SuggestedIgnoreValues.Contains(l.Value!.Value)).ToList();
        if (classValues.FirstOrDefault(l => !byValue.ContainsKey(l.Value!.Value)) is { } unnamed)
        {
            // As many names, in order, as the masks hold values (0/255 masks; 0, 128, 255 scaled to be seen; Pets'
            // trimaps 1, 2, 3): the names in value order.
            if (!list.ValuesGiven && list.Entries.Count == Labels.Count)
            {
                for (int i = 0; i < Labels.Count; i++) map[Labels[i]] = list.Entries[i];
                return map;
            }
            why = $"the masks hold value {unnamed.Value}, which it does not name (it names {ValueList(byValue.Keys)}); give one name per value the masks hold ({ValueList(Labels.Select(l => l.Value!.Value))}), in order, or a file of 'value name' lines";
            return null;
        }
        foreach (var l in Labels)
            if (byValue.TryGetValue(l.Value!.Value, out var e)) map[l] = e;
        return map;
    }

    /// <summary>Each label to the list entry of its colour (within <see cref="ColorTolerance"/>); null (and why) where a colour
    /// is not in the list or two colours get one name. <paramref name="skipUnmatchedVoid"/>: a label with a value usually
    /// void (255) whose colour the list lacks is left unnamed (drafted as ignore) instead of failing the match.</summary>
    Dictionary<DraftLabel, ClassListEntry>? MatchColours(ClassList list, IEnumerable<DraftLabel> labels, bool skipUnmatchedVoid, out string? why)
    {
        why = null;
        var map = new Dictionary<DraftLabel, ClassListEntry>(ReferenceEqualityComparer.Instance);
        foreach (var l in labels)
        {
            var nearest = list.Entries.MinBy(e => e.Color!.Value.MaxChannelDistance(l.Color!.Value))!;
            if (nearest.Color!.Value.MaxChannelDistance(l.Color!.Value) > ColorTolerance)
            {
                if (skipUnmatchedVoid && l.Value is { } v && SuggestedIgnoreValues.Contains(v)) continue;
                why = $"the masks' colour {l.Color} is not in it";
                return null;
            }
            map[l] = nearest;
        }
        if (map.Values.Distinct().Count() < map.Count) { why = "it gives two of the masks' colours one name"; return null; }
        return map;
    }

    /// <summary>Whether the class list named palette masks' indices by their palette colours (not by its own values).</summary>
    bool PaletteMatchedByColour { get; set; }

    static string ValueList(IEnumerable<int> values)
    {
        var list = values.Order().ToList();
        return string.Join(", ", list.Take(8)) + (list.Count > 8 ? $" and {list.Count - 8} more" : "");
    }
}
