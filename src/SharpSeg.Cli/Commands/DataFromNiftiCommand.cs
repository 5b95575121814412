using System.ComponentModel;
using SharpSeg.Import;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary><c>sharpseg data from-nifti</c>: NIfTI volumes and label volumes → 2-D PNG slices, index masks and a
/// dataset.yaml (<see cref="NiftiImport"/>).</summary>
public sealed class DataFromNiftiCommand : Command<DataFromNiftiCommand.Settings>
{
    public sealed class Settings : ImportSettings
    {
        [CommandArgument(0, "<IMAGES>")]
        [Description("Folder of image volumes (.nii or .nii.gz; the Decathlon's imagesTr, or nnU-Net's x_0000.nii.gz per channel).")]
        public string Folder { get; init; } = "";

        [CommandOption("--labels <DIR>")]
        [Description("Folder of label volumes, named as the images (labelsTr): one class value per voxel, 0 background. Without it, the slices alone are written to --out (for curate and pretrain).")]
        public string? Labels { get; init; }

        [CommandOption("--val-fraction <F>")]
        [Description("Share of the volumes (whole volumes) written as split 'val', e.g. 0.2; default 0 (none).")]
        public double ValFraction { get; init; }

        [CommandOption("--axis <0|1|2>")]
        [Description(VolumeArguments.AxisDescription)]
        public int Axis { get; init; } = 2;

        [CommandOption("--window <LOW,HIGH>")]
        [Description(VolumeArguments.WindowDescription)]
        public string? Window { get; init; }

        [CommandOption("--keep-empty <F>")]
        [Description("Share of slices without any labelled voxel to keep, evenly spaced (0: none, 1: all; default 1).")]
        public double KeepEmpty { get; init; } = 1;

        [CommandOption("--channels <LIST>")]
        [Description(VolumeArguments.ChannelsDescription)]
        public string? Channels { get; init; }

        [CommandOption("--classes <LIST>")]
        [Description("Names of the label values above 0, in value order, comma-separated (default: the dataset.json beside the folders, else class_1, class_2, ...).")]
        public string? Classes { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string outDir = settings.RequireOut("from-nifti");
        if (string.IsNullOrWhiteSpace(settings.Labels))
        {
            // No labels: the slices alone, for pretrain and curate (picking which scans to label).
            if (settings.ValFraction > 0 || settings.KeepEmpty != 1 || settings.Classes != null || settings.Split != "train")
                throw new SharpSegException($"{(settings.ValFraction > 0 ? "--val-fraction" : settings.KeepEmpty != 1 ? "--keep-empty" : settings.Classes != null ? "--classes" : "--split")} needs --labels DIR, the folder of label volumes (labelsTr); without labels, from-nifti writes the slices alone.");
            var unlabelled = new NiftiImportOptions { Axis = settings.Axis, Window = VolumeArguments.Window(settings.Window), Channels = VolumeArguments.Channels(settings.Channels), Overwrite = settings.Force };
            var (volumes, slices) = ProgressRunner.Run("volumes", p => NiftiImport.RunUnlabelled(settings.Folder, outDir, unlabelled, p, cancellationToken));
            Console.Out.WriteLine(TerminalText.Clean($"{volumes} volume{(volumes == 1 ? "" : "s")}, {slices} slices to {Path.GetFullPath(outDir)} (no --labels: images only)."));
            Console.Out.WriteLine(TerminalText.Clean($"next: sharpseg curate --images {outDir} --budget N --out pick.csv (the slices worth labelling first), or sharpseg pretrain --images {outDir} --encoder resnet18 --out encoder.ckpt (an encoder from them)."));
            return 0;
        }
        string labels = settings.Labels;
        var options = new NiftiImportOptions
        {
            Split = settings.Split, ValFraction = settings.ValFraction, Axis = settings.Axis, KeepEmpty = settings.KeepEmpty,
            Window = VolumeArguments.Window(settings.Window),
            Channels = VolumeArguments.Channels(settings.Channels),
            Classes = ImportSettings.ClassList(settings.Classes), Overwrite = settings.Force,
        };
        var r = ProgressRunner.Run("volumes", p => NiftiImport.Run(settings.Folder, labels, outDir, options, p, cancellationToken));
        foreach (var s in r.Splits)
            Console.Out.WriteLine(TerminalText.Clean($"split '{s.Split}': {s.Volumes} volumes, {s.Slices} slices to {s.ImagesDir} and {s.MasksDir}"
                + (s.EmptySlicesLeftOut > 0 ? $"; {s.EmptySlicesLeftOut} slices without a label left out (--keep-empty)." : ".")));
        if (r.LabelValues.Select((v, i) => v != i).Any(b => b))
            Console.Out.WriteLine($"note: label values {string.Join(", ", r.LabelValues.Select((v, i) => $"{v} → {i}"))} in the masks (renumbered without gaps).");
        if (r.RemovedSplits.Count > 0)
            Console.Out.WriteLine($"note: removed split{(r.RemovedSplits.Count == 1 ? "" : "s")} {string.Join(", ", r.RemovedSplits.Select(n => $"'{n}'"))} of an earlier import of these volumes (this one puts {(r.RemovedSplits.Count == 1 ? "its" : "their")} volumes elsewhere).");
        if (r.NamesFrom != null) Console.Out.WriteLine(TerminalText.Clean($"class names from {r.NamesFrom}."));
        ImportSettings.PrintClassesAndNext(r.Classes, r.YamlPath);
        return 0;
    }
}
