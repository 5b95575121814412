using System.ComponentModel;
using SharpSeg.Inference;
using Spectre.Console;
using Spectre.Console.Cli;
using SharpSeg.Checkpoints;

namespace SharpSeg.Cli.Commands;

public sealed class PredictCommand : Command<PredictCommand.Settings>
{
    public sealed class Settings : InstanceCommandSettings
    {
        [CommandOption("-c|--checkpoint <FILE>")][Description("Checkpoint (.ckpt)")] public string? Checkpoint { get; init; }
        [CommandOption("-m|--model <FILE>")][Description("Exported ONNX model (.onnx, run by ONNX Runtime), a TFLite model (.tflite) or a checkpoint")] public string? Model { get; init; }
        [CommandOption("--eager")][Description("Run a checkpoint exactly as trained (default: BatchNorm folded, channels-last; same masks, faster)")] public bool Eager { get; init; }
        [CommandOption("--bf16")][Description(ModelArgument.Bf16Description)] public bool Bf16 { get; init; }
        [CommandOption("-i|--input <PATH>")][Description("An image, a folder of images, or a glob like photos/*.jpg")] public string? Input { get; init; }
        [CommandOption("-o|--out <DIR>")][Description("Output folder for <name>_mask.png, _color.png, _overlay.png, _summary.json")] public string? Out { get; init; }
        [CommandOption("--opacity <0..1>")][Description("Colour weight in the overlay (default 0.5)")] public double Opacity { get; init; } = 0.5;
        [CommandOption("--probabilities")][Description("Also write one 8-bit probability map per class into <name>_prob/ (memory: 4 bytes × classes × pixels)")] public bool Probabilities { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
        [CommandOption("--copies <N>")][Description("Model copies, one image in flight each; the CPU threads are divided between them (default: 2 on a CPU, 1 on a GPU or for a single image)")] public int? Copies { get; init; }
        [CommandOption("--recursive")][Description("With a folder as --input: read its subfolders too (Cityscapes' one folder per city); the outputs keep the same subfolders under --out")] public bool Recursive { get; init; }
        [CommandOption("--masks-like <DATASET>")][Description("Write *_mask.png in this dataset.yaml's mask encoding (its class values, colours or 0/255) instead of class indices, so that the dataset's own tools read them back; its classes must be the model's")] public string? MasksLike { get; init; }
        [CommandOption("--instances")][Description("Also cut each mask into instances: *_instances.json/.png, *_panoptic.png, panoptic.json, instances_coco.json, instances_summary.csv (docs/ANNOTATION.md)")] public bool Instances { get; init; }
        [CommandOption("--axis <0|1|2>")][Description(VolumeArguments.AxisDescription + "; as data from-nifti sliced the training volumes")] public int? Axis { get; init; }
        [CommandOption("--window <LOW,HIGH>")][Description(VolumeArguments.WindowDescription + "; as data from-nifti was given")] public string? Window { get; init; }
        [CommandOption("--channels <LIST>")][Description(VolumeArguments.ChannelsDescription)] public string? Channels { get; init; }
        [CommandOption("--instances-from <queries|components>")][Description("With --instances: queries = a mask2former checkpoint's own segments (Mask2Former's panoptic inference; its default), components = connected components of the predicted mask (the default for other models and .onnx files)")] public string? InstancesFrom { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        string model = ModelArgument.Resolve(s.Checkpoint, s.Model);
        if (s.Input == null) throw new SharpSegException("--input is required (an image, a folder, or a glob).");
        if (s.Out == null) throw new SharpSegException("--out is required (the folder to write masks and overlays into).");
        if (s.AnyInstanceFlag && !s.Instances) throw new SharpSegException("--classes, --stuff, --connectivity, --min-area and --fill-holes shape instances; add --instances.");
        if (s.InstancesFrom != null && !s.Instances) throw new SharpSegException("--instances-from chooses how --instances are found; add --instances.");
        if (s.Recursive && s.Instances) throw new SharpSegException("--recursive with --instances is not supported (the instance files would not keep the subfolders); run --instances on each subfolder.");
        var instanceOptions = s.Instances ? s.ToInstanceOptions() : null;
        var options = s.ToInferenceOptions() with { KeepProbabilities = s.Probabilities || s.Instances };
        ModelArgument.CheckRunOptions(model, s.Device, s.Eager, s.Bf16);
        var queryInstances = instanceOptions == null ? null : InstanceSource.Resolve(s.InstancesFrom, model, options, instanceOptions);
        if (VolumePrediction.IsVolumeInput(s.Input))
        {
            if (s.Instances || s.Probabilities || s.MasksLike != null || s.Recursive)
                throw new SharpSegException("--instances, --probabilities, --masks-like and --recursive are for images; a NIfTI volume gets its label volume (VOLUME_mask.nii.gz).");
            return PredictVolumes(s, model, options, cancellationToken);
        }
        if (s.Axis != null || s.Window != null || s.Channels != null)
            throw new SharpSegException("--axis, --window and --channels slice NIfTI volumes (.nii, .nii.gz); --input names images.");
        var masksLike = s.MasksLike == null ? null : SharpSeg.Data.Dataset.DatasetSpec.Load(s.MasksLike);
        var files = ImageInputs.Resolve(s.Input, s.Recursive);
        if (ImageInputs.SubfoldersNotRead(s.Input, s.Recursive) is { Count: > 0 } notRead)
            ConsoleOutput.Note($"note: {notRead.Count} subfolder{(notRead.Count == 1 ? "" : "s")} of {s.Input} with images {(notRead.Count == 1 ? "is" : "are")} not read (e.g. {notRead[0]}); add --recursive to read {(notRead.Count == 1 ? "it" : "them")} too.");
        if (ImageInputs.LooksLikeMasks(files) is { Count: > 0 } masks)
            ConsoleOutput.Note($"note: {masks.Count} of the {files.Count} inputs look like masks of the others (e.g. {Path.GetFileName(masks[0])}); they are predicted as images too: give a folder of images only.");
        var copies = Predictor.LoadCopies(model, Predictor.CopiesFor(s.Copies, s.Device, files.Count), s.Device, fused: !s.Eager, bf16: s.Bf16);
        try { return Predict(s, model, files, copies, options, instanceOptions, queryInstances, masksLike == null ? null : MaskEncoderFor(masksLike, copies[0].ClassNames), cancellationToken); }
        finally { foreach (var p in copies) p.Dispose(); }
    }

    /// <summary>NIfTI volumes in, label volumes out (<see cref="VolumePrediction"/>), one at a time, cut as the checkpoint
    /// says its training volumes were (options given here win, with a note where they differ).</summary>
    static int PredictVolumes(Settings s, string model, InferenceOptions options, CancellationToken cancellationToken)
    {
        var scans = VolumePrediction.Scans(s.Input!);
        using var predictor = Predictor.Load(model, s.Device, fused: !s.Eager, bf16: s.Bf16);
        predictor.CheckOptions(options);
        var trained = predictor.Info.VolumeSlicing;
        var slicing = (trained ?? new SharpSeg.Imaging.VolumeSlicing()).With(s.Axis, VolumeArguments.Window(s.Window), VolumeArguments.Channels(s.Channels));
        if (trained == null)
            ConsoleOutput.Note($"note: the checkpoint does not say how its training volumes were cut (a dataset from 'data from-nifti' records it); slicing {slicing}, as given here or by default.");
        else if (slicing.ToString() != trained.ToString())
            ConsoleOutput.Note($"note: slicing {slicing}, where the model was trained on {trained}: its masks may be worse.");
        else Console.Out.WriteLine($"slicing {slicing}, as the model was trained.");
        foreach (var scan in scans)
        {
            var r = ProgressRunner.Run($"{scan.Name}: slices", p => VolumePrediction.Run(predictor, scan, s.Out!, slicing, options, p, cancellationToken));
            Console.Out.WriteLine(TerminalText.Clean($"{scan.Name}: {r.Slices} slices → {r.MaskPath} ({VolumePrediction.DescribeVolumes(r, predictor.ClassNames)})."));
        }
        AnsiConsole.MarkupLine($"{scans.Count} volume{(scans.Count == 1 ? "" : "s")} written to {ConsoleOutput.Escape(Path.GetFullPath(s.Out!))} (*_mask.nii.gz: {(slicing.LabelValues is { } values ? $"the training labels' values {string.Join(", ", values)}" : "class indices")}, the scan's geometry); peak memory {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MiB.");
        return 0;
    }

    /// <summary>The writer of <c>--masks-like</c>: the dataset's mask encoding, checked before any image is read to
    /// have the model's classes in the model's order.</summary>
    static SharpSeg.Data.Masks.MaskEncoder MaskEncoderFor(SharpSeg.Data.Dataset.DatasetSpec spec, IReadOnlyList<string> modelClasses)
    {
        if (!spec.Classes.Names.SequenceEqual(modelClasses))
            throw new SharpSegException($"--masks-like {spec.SourcePath}: its classes ({string.Join(", ", spec.Classes.Names)}) are not the model's ({string.Join(", ", modelClasses)}); give the dataset the model was trained on.");
        return new SharpSeg.Data.Masks.MaskEncoder(spec);
    }

    static int Predict(Settings s, string model, IReadOnlyList<string> files, Predictor[] copies, InferenceOptions options, SharpSeg.Instances.InstanceOptions? instanceOptions,
        SharpSeg.Models.MaskClassification.PanopticInferenceOptions? queryInstances, SharpSeg.Data.Masks.MaskEncoder? maskEncoder, CancellationToken cancellationToken)
    {
        var predictor = copies[0];
        predictor.CheckOptions(options);   // before the output folder is made
        var writer = new PredictionWriter(s.Out!, predictor.Colours, s.Opacity, predictor.ClassNames)
        {
            Instances = instanceOptions == null ? null : new SharpSeg.Instances.InstanceWriter(s.Out!, instanceOptions.Resolve(predictor.Info.Classes, model)),
            QueryInstances = queryInstances,
            ProbabilityMaps = s.Probabilities,
            MaskEncoder = maskEncoder,
            InputRoot = s.Recursive ? Path.GetFullPath(s.Input!) : null,
        };
        writer.RefuseCollisions(files);
        var result = ProgressRunner.Run("predicting", progress => FolderPrediction.Run(copies, files, writer, options, progress,
            failure => AnsiConsole.Console.MarkupLine($"[red]skipped:[/] {ConsoleOutput.Escape(failure.Message)}"), cancellationToken));
        var failures = result.Skipped.Select(f => f.File).ToList();
        if (result.AutoTiled.Count > 0)
            ConsoleOutput.Note($"note: {result.AutoTiled.Count} image{(result.AutoTiled.Count == 1 ? " was" : "s were")} larger than {InferenceOptions.AutoTilePixels / 1_000_000.0:0.#} megapixels at the model's scale and inferred in tiles of {InferenceOptions.AutoTileSide} pixels there to bound memory (e.g. {Path.GetFileName(result.AutoTiled[0])}); --tile 0 infers whole images, --tile N sets the tile.");
        if (result.InstanceFiles is { } instanceFiles)
        {
            ConsoleOutput.WriteInstanceSummary(instanceFiles);
            AnsiConsole.MarkupLine(writer.QueryInstances != null ? "instances from queries (Mask2Former's panoptic inference)" : "instances: connected components of the predicted masks");
            AnsiConsole.MarkupLine($"{instanceFiles.Instances} instances: *_instances.json, *_instances.png, *_panoptic.png, panoptic.json, instances_coco.json, instances_summary.csv.");
        }
        AnsiConsole.MarkupLine($"{files.Count - failures.Count} of {files.Count} images written to {ConsoleOutput.Escape(Path.GetFullPath(s.Out!))} (*_mask.png {(maskEncoder == null ? "class indices" : "in the mask encoding of " + ConsoleOutput.Escape(s.MasksLike!))}, *_color.png, *_overlay.png, *_summary.json{(s.Probabilities ? ", *_prob/" : "")}); peak memory {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MiB.");
        if (failures.Count > 0)
        {
            string named = string.Join(", ", failures.Take(3).Select(Path.GetFileName)) + (failures.Count > 3 ? $" and {failures.Count - 3} more" : "");
            Console.Error.WriteLine(TerminalText.Clean($"error: {failures.Count} of {files.Count} images failed ({named}; reasons listed above); the others were written."));
            return ErrorReporter.UserError;
        }
        return 0;
    }
}
