using System.ComponentModel;
using System.Globalization;
using SharpSeg.Data;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data init</c>: inspects an images folder and a masks folder and writes a draft dataset.yaml.</summary>
public sealed class DataInitCommand : Command<DataInitCommand.Settings>
{
    public sealed class Settings : ImageReadingSettings
    {
        [CommandOption("--images <DIR>")]
        [Description("Folder of images.")]
        public string? Images { get; init; }

        [CommandOption("--masks <DIR>")]
        [Description("Folder of masks (same file stems as the images). Default: the images folder, for masks beside their images (x.jpg and x_mask.png).")]
        public string? Masks { get; init; }

        [CommandOption("--classes <NAMES|FILE>")]
        [Description("The class names, in value order (background,crack), or a class-list file (classes.txt, a CSV with name and value or r,g,b columns, CVAT's labelmap.txt). Default: such a file found beside the masks.")]
        public string? Classes { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Where to write the draft dataset.yaml.")]
        public string? Out { get; init; }

        [CommandOption("--max-masks <N>")]
        [Description("Masks to inspect at most (evenly spaced); default 200.")]
        public int MaxMasks { get; init; } = DatasetDraft.DefaultMaxMasks;

        [CommandOption("--val-fraction <F>")]
        [Description("Hold out this share of the labelled images (0.2: a fifth, drawn at random with a fixed seed) as a val split, listed in two id files beside --out; for one folder of images that has no splits")]
        public double ValFraction { get; init; }

        [CommandOption("--force")]
        [Description("Overwrite --out if it exists.")]
        public bool Force { get; init; }

        public override ValidationResult Validate()
        {
            if (Images == null) return ValidationResult.Error("data init needs --images DIR (the folder of images)");
            if (Out == null) return ValidationResult.Error("data init needs --out FILE (where to write dataset.yaml)");
            if (MaxMasks < 1) return ValidationResult.Error("--max-masks must be at least 1");
            if (ValFraction is < 0 or >= 1 || double.IsNaN(ValFraction)) return ValidationResult.Error("--val-fraction must be between 0 and 1 (0.2 holds out a fifth of the images)");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string outPath = settings.Out!;
        if (File.Exists(outPath) && !settings.Force)
            throw new SharpSegException($"{outPath}: already exists; pass --force to overwrite it, or choose another --out.");
        if (settings.ValFraction > 0 && !settings.Force && DatasetDraft.ValSplitListPaths(outPath) is var (trainList, valList)
            && new[] { trainList, valList }.FirstOrDefault(File.Exists) is { } existing)
            throw new SharpSegException($"{existing}: already exists (--val-fraction writes it); pass --force to overwrite it, or choose another --out.");
        ClassList? classes = settings.Classes == null ? null
            : File.Exists(settings.Classes) ? ClassList.Read(settings.Classes)
            : !settings.Classes.Contains(',') && (settings.Classes.Contains('/') || Path.GetExtension(settings.Classes).ToLowerInvariant() is ".txt" or ".csv" or ".json")
                ? throw new SharpSegException($"--classes '{settings.Classes}': no such file; give a class-list file that exists, or the names themselves (background,crack).")
            : ImportSettings.ClassList(settings.Classes) is { Length: > 0 } names ? ClassList.FromNames(names)
            : throw new SharpSegException("--classes is empty; give the class names (background,crack) or a class-list file.");
        var draft = DatasetDraft.Inspect(settings.Images!, settings.Masks, settings.MaxMasks, classes);
        if (settings.ValFraction > 0 && !draft.CanHoldOutVal(out string? why)) throw new SharpSegException($"--val-fraction {settings.ValFraction.ToString(CultureInfo.InvariantCulture)}: {why}; leave it out.");
        draft.ValFraction = settings.ValFraction;
        draft.Write(outPath);
        var inv = CultureInfo.InvariantCulture;
        if (draft.Recursive && draft.SplitsFromFolders.Count <= 1) Console.Out.WriteLine("images and masks are in subfolders: read recursively, paired within the same subfolder (recursive: true).");
        if (draft.SplitsFromFolders is { Count: > 1 } splits)
            Console.Out.WriteLine(TerminalText.Clean($"splits: {string.Join(", ", splits.Select(f => $"{f.Split} ({Path.GetFileName(f.Images)}{(f.Masks == null ? ", no masks" : "")})"))}, one per subfolder of the images folder."));
        if (draft.Pairing != PairingRule.SameStem)
        {
            var p = draft.Pairing;
            Console.Out.WriteLine(TerminalText.Clean($"pairing: image {p.ImageStemFor("<key>")} <-> mask {p.MaskStemFor("<key>")}"
                + (draft.OtherMaskKinds.Count > 0 ? $"; other mask files beside each image: {string.Join(", ", draft.OtherMaskKinds.Select(r => r.MaskStemFor("<key>")))} (edit pairing to use one)" : "")));
        }
        if (draft.MaskKind == DraftMaskKind.GrayThreshold)
        {
            var e = draft.ThresholdEncoding!;
            AnsiConsole.WriteLine($"{draft.Pairs} pairs; inspected {draft.MasksInspected} masks: binary with soft edges ({draft.DistinctValues} gray values); drafted encoding: threshold at {e.Threshold}, ignore band {e.IgnoreBand!.Value.Low}..{e.IgnoreBand.Value.High}:");
            foreach (var l in draft.Labels)
                AnsiConsole.WriteLine($"  {(l == draft.Labels[0] ? "below" : "at or above")} {e.Threshold}: {(100 * l.Share).ToString("0.###", inv)} %");
            AnsiConsole.WriteLine($"  ignore band: {(100.0 * draft.BandPixels / Math.Max(1, draft.BandPixels + draft.Labels.Sum(l => l.Pixels))).ToString("0.###", inv)} %");
        }
        else
        {
            AnsiConsole.WriteLine($"{draft.Pairs} pairs; inspected {draft.MasksInspected} masks: {draft.MaskKind}, {draft.Labels.Count} {(draft.MaskKind == DraftMaskKind.RgbColors ? "colours" : "values")}:");
            foreach (var c in draft.Classes.Where(c => c.Label != null).Take(30))
                AnsiConsole.WriteLine(TerminalText.Clean($"  {(c.Value is { } v ? $"value {v}" : $"colour {c.Color}")}{(draft.ClassNames != null ? $" ({c.Name}{(c.Ignore ? ", ignored" : "")})" : "")}: {(100 * c.Label!.Share).ToString("0.###", inv)} %"));
            if (draft.Labels.Count > 30) AnsiConsole.WriteLine($"  ... {draft.Labels.Count - 30} more (see the file)");
        }
        if (draft.DifferingMasks.Count > 0)
        {
            AnsiConsole.WriteLine($"note: {draft.DifferingMasks.Count} of {draft.MasksInspected} masks are encoded differently from the rest:");
            foreach (var n in draft.DifferingMasks.Take(10)) AnsiConsole.WriteLine(TerminalText.Clean($"  {n.Path}: {n.Encoding}; {n.Note}"));
            if (draft.DifferingMasks.Count > 10) AnsiConsole.WriteLine($"  ... and {draft.DifferingMasks.Count - 10} more (listed in the file)");
        }
        if (draft.HeldOut is var (train, val))
        {
            Console.Out.WriteLine($"splits: train {train.Count}, val {val.Count} held out at random (--val-fraction {draft.ValFraction.ToString(inv)}), listed in {Path.GetFileNameWithoutExtension(outPath)}.train.txt and .val.txt beside {Path.GetFileName(outPath)}.");
        }
        if (draft.IdLists.Count > 0)
            Console.Out.WriteLine(TerminalText.Clean($"splits from the id lists in {Path.GetDirectoryName(draft.IdLists[0].Path)}: {string.Join(", ", draft.IdLists.Select(l => l.Split))} (ids: on each split)."));
        if (draft.ImageRange is { IsNarrow: true } range)
            Console.Out.WriteLine($"16-bit images use raw values {range.Low}..{range.High} of 0..65535 ({range.LevelsAtFullScale} gray levels at full scale): drafted image_range: {range}, stretched to 0..255.");
        if (draft.ClassNames != null)
        {
            int unseen = draft.Classes.Count(c => c.Label == null && !c.Ignore);
            Console.Out.WriteLine(TerminalText.Clean($"class names from {draft.ClassNames.Source}" + (unseen > 0 ? $"; {unseen} of its classes {(unseen == 1 ? "is" : "are")} in none of the inspected masks (drafted anyway)." : ".")));
        }
        else if (draft.ClassListNote != null) Console.Out.WriteLine(TerminalText.Clean($"note: {draft.ClassListNote}"));
        AnsiConsole.WriteLine(draft.ClassNames != null ? $"wrote {Path.GetFullPath(outPath)}: check it, then run 'sharpseg data check {outPath}'."
            : $"wrote {Path.GetFullPath(outPath)}: name the classes (or give --classes), then run 'sharpseg data check {outPath}'.");
        return 0;
    }
}
