using System.Text.Json.Nodes;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SharpSeg.Metrics;

namespace SharpSeg.Training;

/// <summary>
/// Mirrors a run's metrics-log records into TensorBoard event files (TorchSharp's <c>SummaryWriter</c>) in
/// <c>RUN/tensorboard/</c>, for <c>train.tensorboard: true</c>: train/loss, train/loss_avg, train/lr,
/// train/images_per_s at every logged step; val/miou, val/pixel_accuracy, val/mean_class_accuracy and
/// val_iou/&lt;class&gt; at every validation. Steps are iterations.
/// </summary>
public sealed class TensorBoardLog
{
    public const string FolderName = "tensorboard";

    readonly SummaryWriter _writer;
    readonly IReadOnlyList<string> _classNames;

    public TensorBoardLog(string directory, IReadOnlyList<string> classNames)
    {
        System.IO.Directory.CreateDirectory(directory);
        _writer = utils.tensorboard.SummaryWriter(directory);
        _classNames = classNames;
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>Writes the scalars of one metrics-log record ("train" and "val" records; others are ignored).</summary>
    public void Add(JsonObject record)
    {
        if (JsonNumber.Long(record["iteration"]) is not long iteration) return;
        int step = (int)Math.Min(int.MaxValue, iteration);
        switch ((string?)record["kind"])
        {
            case "train":
                foreach (var key in new[] { "loss", "loss_avg", "lr", "images_per_s" }) Scalar("train/" + key, record[key], step);
                break;
            case "val":
                foreach (var key in new[] { "miou", "pixel_accuracy", "mean_class_accuracy" }) Scalar("val/" + key, record[key], step);
                if (record["per_class_iou"] is JsonArray perClass)
                    for (int c = 0; c < perClass.Count && c < _classNames.Count; c++) Scalar("val_iou/" + _classNames[c], perClass[c], step);
                break;
        }
    }

    void Scalar(string tag, JsonNode? node, int step)
    {
        double d = JsonNumber.Double(node);
        if (double.IsFinite(d)) _writer.add_scalar(tag, (float)d, step);
    }
}
