using System.ComponentModel;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Inference;
using SharpSeg.Instances;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

public sealed class InstancesCommand : Command<InstancesCommand.Settings>
{
    public sealed class Settings : InstanceCommandSettings
    {
        [CommandOption("-i|--input <PATH>")][Description("Masks: a file, a folder or a glob (class indices, or decoded through --data)")] public string? Input { get; init; }
        [CommandOption("-d|--data <DATASET_YAML>")][Description("dataset.yaml whose class table and mask encoding decode --input (default: value = class index)")] public string? Data { get; init; }
        [CommandOption("--data-root <DIR>")][Description("Override the dataset's root folder (--data is read for its class table and mask encoding; the root must exist)")] public string? DataRoot { get; init; }
        [CommandOption("-c|--checkpoint <FILE>")][Description("Predict the masks of --images with this checkpoint instead")] public string? Checkpoint { get; init; }
        [CommandOption("-m|--model <FILE>")][Description("Exported ONNX model (.onnx) to predict --images with")] public string? Model { get; init; }
        [CommandOption("--images <PATH>")][Description("Images to predict (with --checkpoint or --model): a file, a folder or a glob")] public string? Images { get; init; }
        [CommandOption("-o|--out <DIR>")][Description("Output folder")] public string? Out { get; init; }
        [CommandOption("--eager")][Description("Run a checkpoint exactly as trained (default: BatchNorm folded, channels-last)")] public bool Eager { get; init; }
        [CommandOption("--bf16")][Description(ModelArgument.Bf16Description)] public bool Bf16 { get; init; }
        [CommandOption("--device <DEVICE>")][Description("cpu | cuda | auto")] public string Device { get; init; } = "cpu";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        bool predicting = s.Checkpoint != null || s.Model != null;
        if (predicting == (s.Input != null))
            throw new SharpSegException("give either --input MASKS, or --checkpoint C (or --model M.onnx) with --images IMAGES.");
        if (s.Out == null) throw new SharpSegException("--out is required (the folder to write instances into).");
        var options = s.ToInstanceOptions();
        IReadOnlyList<string> written, skipped;
        int total;
        InstanceFolderFiles files;
        if (predicting)
        {
            if (s.Images == null) throw new SharpSegException("--images is required with --checkpoint/--model (the images to predict).");
            if (s.Data != null || s.DataRoot != null) throw new SharpSegException("--data decodes --input masks; with --checkpoint the classes are the checkpoint's, leave --data out.");
            string model = ModelArgument.Resolve(s.Checkpoint, s.Model);
            ModelArgument.CheckRunOptions(model, s.Device, s.Eager, s.Bf16);
            var inputs = ImageInputs.Resolve(s.Images);
            using var predictor = Predictor.Load(model, s.Device, fused: !s.Eager, bf16: s.Bf16);
            var resolved = options.Resolve(predictor.Info.Classes, model);
            var writer = new PredictionWriter(s.Out, predictor.Colours, classNames: predictor.ClassNames)
            {
                Instances = new InstanceWriter(s.Out, resolved),
                ProbabilityMaps = false,
            };
            var inference = s.ToInferenceOptions() with { KeepProbabilities = true };
            var result = ProgressRunner.Run("predicting instances", progress => FolderPrediction.Run(predictor, inputs, writer, inference, progress,
                failure => AnsiConsole.Console.MarkupLine($"[red]skipped:[/] {ConsoleOutput.Escape(failure.Message)}"), cancellationToken));
            written = result.Written; skipped = result.Skipped.Select(f => f.File).ToList(); total = inputs.Count; files = result.InstanceFiles!;
        }
        else
        {
            if (s.Images != null) throw new SharpSegException("--images goes with --checkpoint/--model; with --input the masks are read as they are.");
            if (s.Tile != null || s.TtaFlip || s.TtaScales != null || s.Eager)
                throw new SharpSegException("--tile, --tta-*, --eager apply to predicting with --checkpoint; with --input nothing is predicted.");
            var masks = ImageInputs.Resolve(s.Input!);
            MaskDecoder decoder;
            string source;
            if (s.Data != null)
            {
                var spec = DatasetSpec.Load(s.Data, s.DataRoot);
                decoder = new MaskDecoder(spec);
                source = s.Data;
            }
            else
            {
                if (s.DataRoot != null) throw new SharpSegException("--data-root overrides the root of --data D.yaml; give --data too, or leave --data-root out.");
                decoder = new MaskDecoder(InstanceOptions.IndexMaskClasses, MaskEncoding.Default, "index masks read without --data (value v = class v, 255 = ignore; give --data D.yaml to use its class table)");
                source = "the index masks' classes (no --data: class0..class254)";
            }
            var writer = new InstanceWriter(s.Out, options.Resolve(decoder.Classes, source));
            var result = ProgressRunner.Run("cutting instances", progress => InstanceFolder.Run(masks, decoder, writer, progress,
                failure => AnsiConsole.Console.MarkupLine($"[red]skipped:[/] {ConsoleOutput.Escape(failure.Message)}"), cancellationToken));
            written = result.Written; skipped = result.Skipped.Select(f => f.File).ToList(); total = masks.Count; files = result.Files;
        }
        ConsoleOutput.WriteInstanceSummary(files);
        AnsiConsole.MarkupLine($"{written.Count} of {total} images: {files.Instances} instances written to {ConsoleOutput.Escape(Path.GetFullPath(s.Out))} (*_instances.json, *_instances.png 16-bit ids, *_panoptic.png, panoptic.json, instances_coco.json, instances_summary.csv).");
        if (skipped.Count > 0)
        {
            string named = string.Join(", ", skipped.Take(3).Select(Path.GetFileName)) + (skipped.Count > 3 ? $" and {skipped.Count - 3} more" : "");
            Console.Error.WriteLine(TerminalText.Clean($"error: {skipped.Count} of {total} inputs failed ({named}; reasons listed above); the others were written."));
            return ErrorReporter.UserError;
        }
        return 0;
    }
}
