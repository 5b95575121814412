using SharpSeg.Cli.Commands;
using Spectre.Console.Cli;

namespace SharpSeg.Cli;

/// <summary>The `sharpseg` command tree. Each command parses its arguments, shows progress and calls the library.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        Engine.TorchRuntime.PrepareProcess(); // before libtorch loads
        Engine.TorchRuntime.Notice += notice => Console.Error.WriteLine(notice);
        try { Engine.GcStress.StartFromEnvironment(); }
        catch (SharpSegException e) { return ErrorReporter.Report(e); }
        // Piped or logged output: do not wrap tables and lines at Spectre's default 80 columns.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("sharpseg");
            config.UseStrictParsing(); // an unknown or mistyped option is an error, not silently ignored
            config.SetExceptionHandler((ex, _) => ErrorReporter.Report(ex));
            config.SetInterceptor(new PixelLimitInterceptor());
            config.AddCommand<InfoCommand>("info").WithDescription("Show engine versions, threads and devices.");
            config.AddCommand<DemoCommand>("demo").WithDescription("Generate a dataset, train a small U-Net, evaluate and predict: the whole job in a few minutes.");
            config.AddCommand<TrainCommand>("train").WithDescription("Train a model from a recipe (YAML) into a run folder.");
            config.AddCommand<EvalCommand>("eval").WithDescription("Evaluate a checkpoint on a dataset split: per-class IoU/Dice, mIoU, accuracies.");
            config.AddCommand<ModelsCommand>("models").WithDescription("List the model zoo: architectures × encoders, parameters, output stride, GMACs (--flops).");
            config.AddCommand<BenchCommand>("bench").WithDescription("Time whole-image inference of a checkpoint (eager, fused) and ONNX models at given sizes: median ms/image, GFLOP/s against peak.");
            config.AddCommand<ExportCommand>("export").WithDescription("Export a checkpoint to ONNX (self-describing: classes, normalisation), optionally int8 or with ArgMax.");
            config.AddCommand<ExportWeightsCommand>("export-weights").WithDescription("Write a checkpoint's weights as .safetensors + JSON config for PyTorch (docs/PRETRAINED.md).");
            config.AddCommand<PretrainCommand>("pretrain").WithDescription("Self-supervised pretraining of an encoder on unlabelled images (SimCLR or dense contrast).");
            config.AddCommand<ProbeCommand>("probe").WithDescription("Linear probe of an encoder: a 1x1 head on frozen features, scored on a labelled split.");
            config.AddCommand<PredictCommand>("predict").WithDescription("Predict masks, colour masks and overlays for images of any size.");
            config.AddCommand<PortraitCommand>("portrait").WithDescription("Blur or replace the background behind people in photos and videos, or cut them out (built-in MediaPipe selfie models).");
            config.AddCommand<VideoCommand>("video").WithDescription("Segment a video frame by frame: overlay, colour or mask video, background blur or replacement (needs ffmpeg).");
            config.AddCommand<InstancesCommand>("instances").WithDescription("Instances from masks or a checkpoint's predictions: per-instance JSON (area, box, centroid, RLE, polygon), 16-bit id PNG, COCO panoptic, per-class summary.");
            config.AddCommand<ServeCommand>("serve").WithDescription("Serve a model over HTTP: POST /v1/segment, /v1/model, health, Prometheus metrics, and a web page at / (docs/SERVING.md).");
            config.AddCommand<EmbedCommand>("embed").WithDescription("One vector per image (thumbnail, or a model's pooled encoder features) into a resumable .npy file.");
            config.AddCommand<ScoreCommand>("score").WithDescription("Per-image uncertainty and predicted class shares of a checkpoint on unlabelled images (CSV).");
            config.AddCommand<CurateCommand>("curate").WithDescription("Choose images to label: dedupe, diversity, typicality, uncertainty, class balance; CSV with reasons, report, contact sheet.");
            config.AddCommand<CurateSimulateCommand>("curate-simulate").WithDescription("Simulate the labelling loop on a labelled dataset: does a curation strategy beat random selection?");
            config.AddBranch("masks", m =>
            {
                m.SetDescription("Several annotators' masks of one dataset: fuse them into one, and measure how much they agree.");
                m.AddCommand<MasksFuseCommand>("fuse").WithDescription("Fuse annotators' masks into one per image (majority vote or STAPLE), with confidence maps and each annotator's estimated confusion matrix.");
                m.AddCommand<MasksSimulateCommand>("simulate").WithDescription("Simulated annotators: perturbed copies (grow, shrink, jitter, flip) of a dataset's masks, to try fusion where only one annotation exists.");
                m.AddCommand<MasksAgreementCommand>("agreement").WithDescription("Agreement between annotators: pairwise IoU/Dice, Fleiss' kappa, Krippendorff's alpha per class, and the most disputed images.");
            });
            config.AddBranch("data", d =>
            {
                d.SetDescription("Check, describe, draft and generate datasets (dataset.yaml).");
                d.AddCommand<DataCheckCommand>("check").WithDescription("Validate every image/mask pair: pairing, sizes, corrupt files, undefined mask values.");
                d.AddCommand<DataStatsCommand>("stats").WithDescription("Class pixel shares, suggested class weights and image sizes per split.");
                d.AddCommand<DataInitCommand>("init").WithDescription("Inspect images and masks folders and write a draft dataset.yaml.");
                d.AddCommand<DataFromCocoCommand>("from-coco").WithDescription("Turn a COCO annotation file (polygons, RLE) into index PNG masks and a dataset.yaml.");
                d.AddCommand<DataFromLabelMeCommand>("from-labelme").WithDescription("Turn a folder of LabelMe JSON files (polygons, rectangles, circles) into index PNG masks and a dataset.yaml.");
                d.AddCommand<DataFromNiftiCommand>("from-nifti").WithDescription("Slice NIfTI volumes (.nii, .nii.gz) and their label volumes into PNG images, index masks and a dataset.yaml.");
                d.AddCommand<DataFromClassMasksCommand>("from-class-masks").WithDescription("Turn per-class binary masks (a folder per class or per image) into index PNG masks and a dataset.yaml.");
                d.AddCommand<DataFromYoloCommand>("from-yolo").WithDescription("Turn YOLO segmentation labels (polygons, as Ultralytics and Roboflow export them) into index PNG masks and a dataset.yaml.");
                d.AddCommand<DataUnstackCommand>("unstack").WithDescription("Write each page of a multi-page TIFF (a stack of slices or frames) to its own PNG, values unchanged.");
                d.AddCommand<DataSynthCommand>("synth").WithDescription("Write the built-in synthetic scene dataset (6 classes) with a dataset.yaml.");
            });
        });
        return app.Run(ExpandListOptions(args));
    }

    /// <summary>Options that take several values after one flag (<c>--annotators a/ b/ c/</c>), which the parser reads as
    /// one value per flag: each value up to the next option gets its own flag.</summary>
    static readonly string[] ListOptions = ["--annotators", "-a"];

    internal static string[] ExpandListOptions(string[] args)
    {
        if (args.Length == 0 || args[0] != "masks") return args;
        var result = new List<string>(args.Length);
        for (int i = 0; i < args.Length; i++)
        {
            result.Add(args[i]);
            if (!ListOptions.Contains(args[i])) continue;
            string flag = args[i];
            if (i + 1 < args.Length) result.Add(args[++i]);
            while (i + 1 < args.Length && !args[i + 1].StartsWith('-')) { result.Add(flag); result.Add(args[++i]); }
        }
        return [.. result];
    }
}
