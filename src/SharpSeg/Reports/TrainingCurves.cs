using System.Text.Json.Nodes;
using SharpSeg.Imaging;
using SharpSeg.Metrics;

namespace SharpSeg.Reports;

/// <summary>
/// The curves of a training run drawn from its <c>metrics.jsonl</c> records: training loss (each logged step and its
/// moving average), validation mIoU / pixel accuracy / mean class accuracy, and the learning rate, each against the
/// iteration, as PNG files in <c>RUN/curves/</c>. The trainer feeds it every record and redraws at each validation;
/// <see cref="RenderRun"/> draws the curves of any run folder afterwards. A resumed run's repeated iterations keep the
/// last value logged.
/// </summary>
public sealed class TrainingCurves
{
    public const string FolderName = "curves";
    public const string LossFileName = "loss.png";
    public const string ValidationFileName = "val_miou.png";
    public const string LearningRateFileName = "lr.png";

    static readonly Rgb Raw = new(166, 199, 232), Smoothed = new(31, 119, 180), MIoU = new(214, 39, 40), PixelAcc = new(44, 160, 44),
        ClassAcc = new(148, 103, 189), Lr = new(255, 127, 14);

    readonly SortedDictionary<long, (double Loss, double Average, double Lr)> _train = [];
    readonly SortedDictionary<long, (double MIoU, double PixelAccuracy, double ClassAccuracy)> _val = [];

    /// <summary>Training steps recorded (distinct iterations).</summary>
    public int TrainPoints => _train.Count;

    /// <summary>Validations recorded (distinct iterations).</summary>
    public int ValidationPoints => _val.Count;

    /// <summary>Takes one metrics-log record; kinds other than "train" and "val" are ignored.</summary>
    public void Add(JsonObject record)
    {
        long? it = Long(record["iteration"]);
        if (it is not long iteration) return;
        switch ((string?)record["kind"])
        {
            case "train":
                _train[iteration] = (Num(record["loss"]), Num(record["loss_avg"]), Num(record["lr"]));
                break;
            case "val":
                _val[iteration] = (Num(record["miou"]), Num(record["pixel_accuracy"]), Num(record["mean_class_accuracy"]));
                break;
        }
    }

    /// <summary>The curves of a metrics log (empty when the file does not exist yet).</summary>
    public static TrainingCurves FromLog(string metricsJsonl)
    {
        var curves = new TrainingCurves();
        if (File.Exists(metricsJsonl))
            foreach (var record in MetricsLog.Read(metricsJsonl)) curves.Add(record);
        return curves;
    }

    /// <summary>Draws the curves of the run in <paramref name="runDirectory"/> (its metrics.jsonl) into its curves/ folder.</summary>
    public static IReadOnlyList<string> RenderRun(string runDirectory)
    {
        string log = Path.Combine(runDirectory, MetricsLog.FileName);
        if (!File.Exists(log)) throw new SharpSegException($"{runDirectory}: no {MetricsLog.FileName}; point at a training run folder.");
        return FromLog(log).Render(Path.Combine(runDirectory, FolderName));
    }

    /// <summary>Writes loss.png, val_miou.png and lr.png into <paramref name="directory"/> (each atomically); returns their paths.</summary>
    public IReadOnlyList<string> Render(string directory, int width = 900, int height = 420)
    {
        var written = new List<string>();
        void Save(string name, LineChart chart)
        {
            byte[] png = chart.RenderPng(width, height);
            string path = Path.Combine(directory, name);
            IO.AtomicFile.Write(path, s => s.Write(png));
            written.Add(path);
        }
        var its = _train.Keys.Select(k => (double)k).ToList();
        // One x range for all three, so the charts line up when read together.
        double? xMax = _train.Keys.Concat(_val.Keys).Select(k => (double?)k).Max();
        Save(LossFileName, LossChart(its) with { XMin = 0, XMax = xMax, XWholeNumbers = true });
        Save(ValidationFileName, ValidationChart() with { XMin = 0, XMax = xMax, XWholeNumbers = true });
        Save(LearningRateFileName, new LineChart
        {
            Title = "Learning rate", XLabel = "iteration", YLabel = "learning rate", YMin = 0, XMin = 0, XMax = xMax, XWholeNumbers = true,
            Series = [new ChartSeries("", its, _train.Values.Select(v => v.Lr).ToList(), Lr, 2f)],
        });
        return written;
    }

    LineChart LossChart(List<double> its)
    {
        var loss = _train.Values.Select(v => v.Loss).ToList();
        var series = new List<ChartSeries> { new("loss (each step)", its, loss, Raw, 1f) };
        if (_train.Values.Any(v => double.IsFinite(v.Average)))
            series.Add(new ChartSeries("moving average", its, _train.Values.Select(v => v.Average).ToList(), Smoothed, 2.2f));
        string last = _train.Count == 0 ? "" : $" (last {Format(_train.Values.Last().Average)} at iteration {_train.Keys.Last()})";
        return new LineChart { Title = "Training loss" + last, XLabel = "iteration", YLabel = "loss", YMin = 0, Series = series };
    }

    LineChart ValidationChart()
    {
        var its = _val.Keys.Select(k => (double)k).ToList();
        bool sparse = _val.Count <= 60;
        var series = new List<ChartSeries>
        {
            new("mIoU", its, _val.Values.Select(v => 100 * v.MIoU).ToList(), MIoU, 2.2f, sparse),
            new("pixel accuracy", its, _val.Values.Select(v => 100 * v.PixelAccuracy).ToList(), PixelAcc, 1.4f, sparse),
            new("mean class accuracy", its, _val.Values.Select(v => 100 * v.ClassAccuracy).ToList(), ClassAcc, 1.4f, sparse),
        };
        string title = "Validation";
        var best = _val.Where(kv => double.IsFinite(kv.Value.MIoU)).OrderByDescending(kv => kv.Value.MIoU).ThenBy(kv => kv.Key).FirstOrDefault();
        if (_val.Count > 0 && double.IsFinite(best.Value.MIoU)) title += $" (best mIoU {100 * best.Value.MIoU:F1} % at iteration {best.Key})";
        return new LineChart { Title = title, XLabel = "iteration", YLabel = "%", YMin = 0, Series = series };
    }

    static string Format(double v) => double.IsFinite(v) ? v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) : "n/a";

    static double Num(JsonNode? n) => JsonNumber.Double(n);

    static long? Long(JsonNode? n) => JsonNumber.Long(n);
}
