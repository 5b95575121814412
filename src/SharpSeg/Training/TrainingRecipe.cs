using SharpSeg.Configuration;

namespace SharpSeg.Training;

/// <summary>
/// A training recipe: one flat YAML file (see <see cref="RecipeDefaults"/> for every key) plus <c>--set key=value</c>
/// overrides, resolved against the defaults. <see cref="Tree"/> holds the resolved values; the typed sections below
/// read them. Relative paths in the recipe are resolved against the recipe file's folder.
/// </summary>
public sealed class TrainingRecipe
{
    TrainingRecipe(ConfigTree tree, string? baseDirectory, bool refuseIgnoredOptions)
    {
        Tree = tree;
        BaseDirectory = baseDirectory ?? Directory.GetCurrentDirectory();
        Validate(refuseIgnoredOptions);
        // The recipe's pixel limit governs every image and mask this run decodes (threads started later inherit it).
        Imaging.PixelLimit.MaxPixels = MaxPixels;
    }

    /// <summary>The resolved recipe (defaults + file + overrides).</summary>
    public ConfigTree Tree { get; }

    /// <summary>The folder relative paths in the recipe are resolved against.</summary>
    public string BaseDirectory { get; }

    /// <summary>Loads a recipe file (null: defaults only), then applies overrides in order.</summary>
    public static TrainingRecipe Load(string? path, IEnumerable<string>? overrides = null)
    {
        var defaults = ConfigTree.Parse(RecipeDefaults.Yaml, "recipe defaults");
        var tree = path == null ? defaults : ConfigTree.Load(path).OverlayOn(defaults);
        foreach (var o in overrides ?? Array.Empty<string>()) tree.Set(FromWorkingDirectory(o));
        return new TrainingRecipe(tree, path == null ? null : Path.GetDirectoryName(Path.GetFullPath(path)), refuseIgnoredOptions: true);
    }

    /// <summary>The recipe keys that hold a file or folder path.</summary>
    public static readonly IReadOnlyList<string> PathKeys = ["data.dataset", "data.data_root", "model.encoder_weights", "model.init_weights"];

    /// <summary>
    /// A <c>--set</c> override as typed on a command line: a relative path given to one of <see cref="PathKeys"/> is made
    /// absolute against the current directory, as every other command-line path is (paths written in the recipe file
    /// stay relative to the recipe's folder). Words that are not paths (<c>null</c>, <c>none</c>, <c>imagenet</c>) are kept.
    /// </summary>
    public static string FromWorkingDirectory(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) return assignment;
        string key = assignment[..eq].Trim(), value = assignment[(eq + 1)..].Trim();
        if (!PathKeys.Contains(key, StringComparer.OrdinalIgnoreCase) || value.Length == 0 || Path.IsPathRooted(value)
            || value == "~" || Pretrained.EncoderWeights.IsNone(value) || value.Equals(Pretrained.EncoderWeights.ImageNet, StringComparison.OrdinalIgnoreCase)
            || value[0] is '[' or '{' or '"' or '\'')
            return assignment;
        return key + "=" + Path.GetFullPath(value);
    }

    /// <summary>
    /// What <paramref name="overrides"/> say about the data a recipe is planned for (the <c>trainSplit</c>, <c>valSplit</c>
    /// and <c>dataRoot</c> of <see cref="RecipePlanner"/>'s Plan), read as the recipe will read them: each value parsed by
    /// <see cref="ConfigTree.Set"/> (YAML: <c>null</c>, <c>~</c> and nothing are null, quotes are removed), the last
    /// override of a key winning, the root made absolute against the current directory. A key no override sets is null
    /// (the planner chooses); <c>data.val_split</c> set to null is "" (train without validation).
    /// </summary>
    public static (string? TrainSplit, string? ValSplit, string? DataRoot) PlanningChoices(IEnumerable<string>? overrides)
    {
        string[] keys = ["data.train_split", "data.val_split", "data.data_root"];
        static string Key(string assignment) => assignment.Split('=', 2)[0].Trim();
        var given = (overrides ?? []).Where(o => keys.Contains(Key(o))).ToList();
        var tree = ConfigTree.Parse(RecipeDefaults.Yaml, "recipe defaults");
        foreach (var o in given) tree.Set(FromWorkingDirectory(o));
        bool Given(string key) => given.Any(o => Key(o) == key);
        return (Given(keys[0]) ? tree.GetString(keys[0]) : null,
                Given(keys[1]) ? tree.GetString(keys[1]) ?? "" : null,
                Given(keys[2]) && tree.GetString(keys[2]) is { } root ? Path.GetFullPath(root) : null);
    }

    /// <summary>A recipe from YAML text that is not a file (<see cref="RecipePlanner"/>'s), then the overrides, checked as
    /// <see cref="Load"/> checks a file's: relative paths in it are relative to the current directory.</summary>
    public static TrainingRecipe FromText(string yaml, string source, IEnumerable<string>? overrides = null)
    {
        var tree = ConfigTree.Parse(yaml, source).OverlayOn(ConfigTree.Parse(RecipeDefaults.Yaml, "recipe defaults"));
        foreach (var o in overrides ?? Array.Empty<string>()) tree.Set(FromWorkingDirectory(o));
        return new TrainingRecipe(tree, null, refuseIgnoredOptions: true);
    }

    /// <summary>Parses recipe text (e.g. the resolved recipe stored in a checkpoint). Unlike <see cref="Load"/> it does not
    /// refuse options the run would ignore (<see cref="RecipeBinding.RefuseIgnoredOptions"/>): a stored recipe holds every
    /// key resolved against the defaults of the version that wrote it, and such a run must still resume.</summary>
    public static TrainingRecipe Parse(string yaml, string source, string? baseDirectory, IEnumerable<string>? overrides = null)
    {
        var tree = ConfigTree.Parse(yaml, source).OverlayOn(ConfigTree.Parse(RecipeDefaults.Yaml, "recipe defaults"));
        foreach (var o in overrides ?? Array.Empty<string>()) tree.Set(FromWorkingDirectory(o));
        return new TrainingRecipe(tree, baseDirectory, refuseIgnoredOptions: false);
    }

    /// <summary>
    /// Refuses overrides a resumed run cannot honour: the model is rebuilt from the checkpoint's recorded config, so
    /// <c>--set model.*</c> (and <c>loss.aux_weight</c>, which is recorded with it) would be ignored.
    /// </summary>
    public static void RefuseModelOverridesOnResume(IEnumerable<string>? overrides, string checkpoint)
    {
        foreach (var o in overrides ?? [])
        {
            string key = o.Split('=', 2)[0].Trim();
            if (key.StartsWith("model.", StringComparison.OrdinalIgnoreCase) || key.Equals("model", StringComparison.OrdinalIgnoreCase)
                || key.Equals("loss.aux_weight", StringComparison.OrdinalIgnoreCase))
                throw new SharpSegException($"--set {key}: a resumed run keeps the model recorded in {checkpoint}, so this would be ignored; start a new run to change the model (model.encoder_weights={checkpoint} reuses its encoder).");
        }
    }

    /// <summary>A path from the recipe, resolved against <see cref="BaseDirectory"/>; null when unset.</summary>
    public string? ResolvePath(string key)
    {
        string? p = Tree.GetString(key);
        return p == null ? null : Path.GetFullPath(Path.Combine(BaseDirectory, p));
    }

    public string DatasetPath => ResolvePath("data.dataset")
        ?? throw new SharpSegException($"{Tree.Source}: 'data.dataset' is not set: point it at a dataset.yaml, or pass --set data.dataset=path/to/dataset.yaml.");

    public string? DataRoot => ResolvePath("data.data_root");

    /// <summary><c>data.max_pixels</c>: the largest image or mask (width × height) the run decodes (<see cref="Imaging.PixelLimit"/>).</summary>
    public long MaxPixels => Imaging.PixelLimit.Parse(Tree.GetString("data.max_pixels") ?? "256M", $"{Tree.Source}: data.max_pixels");
    public string TrainSplit => Tree.GetString("data.train_split") ?? "train";
    public string? ValSplit => Tree.GetString("data.val_split");

    public int Epochs => Tree.GetInt("train.epochs");
    public long Iterations => Tree.GetLong("train.iterations");
    public int BatchSize => Tree.GetInt("train.batch_size");
    public int ValEvery => Tree.GetInt("train.val_every");
    public int EarlyStopPatience => Tree.GetInt("train.early_stop_patience");
    public long Seed => Tree.GetLong("train.seed");
    public int Threads => Tree.GetInt("train.threads");
    public int Workers => Tree.GetInt("train.workers");
    public string Device => Tree.GetString("train.device") ?? "cpu";
    public int LogEvery => Tree.GetInt("train.log_every");

    /// <summary>
    /// Reads the plain numeric settings a run uses and the augmentation section, so a value of the wrong type (a typo
    /// in the file or in <c>--set</c>) is one line before anything is created or printed, not after the run folder
    /// exists. Checks only; the trainer reads them again where it uses them.
    /// </summary>
    public void CheckValues()
    {
        _ = (Epochs, Iterations, BatchSize, ValEvery, EarlyStopPatience, Seed, Threads, Workers, LogEvery, MaxPixels);
        foreach (var key in NumericKeys) if (Tree.Has(key)) Tree.GetDouble(key);
        RecipeBinding.Augmentation(this);
    }

    /// <summary>Numeric settings read as numbers wherever they are used.</summary>
    static readonly string[] NumericKeys =
    [
        "optimizer.lr", "optimizer.weight_decay", "optimizer.momentum", "optimizer.grad_clip", "optimizer.encoder_lr_mult",
        "schedule.warmup_iters", "schedule.warmup_ratio", "schedule.power", "schedule.min_lr", "schedule.step_size", "schedule.gamma",
        "eval.scale", "train.freeze_encoder_iters", "train.skip_nonfinite",
    ];

    /// <summary>The resolved recipe as YAML (printed at the start of training and saved in the run folder).</summary>
    public string ToYaml() => Tree.ToYaml();

    void Validate(bool refuseIgnoredOptions)
    {
        string src = Tree.Source;
        if (Tree.GetInt("train.batch_size") < 1) throw new SharpSegException($"{src}: train.batch_size must be at least 1.");
        if (Tree.GetInt("train.epochs") < 1 && Tree.GetLong("train.iterations") < 1)
            throw new SharpSegException($"{src}: set a budget: train.epochs or train.iterations must be at least 1.");
        if (Tree.GetInt("train.val_every") < 1) throw new SharpSegException($"{src}: train.val_every must be at least 1.");
        if (Tree.GetDouble("optimizer.lr") <= 0) throw new SharpSegException($"{src}: optimizer.lr must be positive.");
        string opt = Tree.GetString("optimizer.name") ?? "";
        if (opt != "adamw" && opt != "sgd") throw new SharpSegException($"{src}: optimizer.name '{opt}' is not known{NearestName.Hint(opt, new[] { "adamw", "sgd" })}.");
        string sched = Tree.GetString("schedule.name") ?? "";
        if (!LrSchedule.Kinds.Contains(sched)) throw new SharpSegException($"{src}: schedule.name '{sched}' is not known{NearestName.Hint(sched, LrSchedule.Kinds)}.");
        var loss = RecipeBinding.Loss(this, classWeights: null); // a bad loss name or option fails at load, not after data statistics
        RecipeBinding.ClassWeightMax(this);
        var crop = Tree.GetDoubleList("augment.crop");
        if (crop != null && crop.Length != 2) throw new SharpSegException($"{src}: augment.crop must be [height, width].");
        var scale = Tree.GetDoubleList("augment.scale");
        if (scale != null && (scale.Length != 2 || scale[0] <= 0 || scale[1] < scale[0])) throw new SharpSegException($"{src}: augment.scale must be [min, max] with 0 < min <= max.");
        if (!refuseIgnoredOptions) return;
        RecipeBinding.RefuseIgnoredOptions(this); // so does an option the chosen model or loss would ignore
        var ohem = loss is Losses.CombinedLoss combined ? combined.Terms.Select(t => t.Loss).OfType<Losses.OhemCrossEntropyLoss>().FirstOrDefault() : loss as Losses.OhemCrossEntropyLoss;
        if (ohem is { MinKept: >= 1 } && crop is { Length: 2 } && ohem.MinKept >= crop[0] * crop[1])
            throw new SharpSegException($"{src}: loss.ohem_min_kept {ohem.MinKept} pixels per image is at least the {crop[0] * crop[1]} pixels of an augment.crop of {crop[0]}x{crop[1]}, so OHEM would keep every pixel (plain cross-entropy): give a share such as 0.1, or fewer pixels.");
    }
}
