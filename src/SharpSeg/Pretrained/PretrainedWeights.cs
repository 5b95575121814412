using System.Text.RegularExpressions;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models;
using SharpSeg.Models.Encoders.ResNet;

namespace SharpSeg.Pretrained;

/// <summary>
/// Loads weights from PyTorch-world files (torchvision, segmentation_models.pytorch, SharpSeg's own safetensors export)
/// into a <see cref="SegmentationModel"/> or only its encoder, through <see cref="StateDictKeyMap"/>. Nothing is copied
/// unless every model tensor finds a file tensor of the right shape; otherwise a <see cref="SharpSegException"/> carries
/// the table of missing / unexpected / shape-mismatched keys.
/// </summary>
/// <remarks>
/// Two adaptations are made and reported in <see cref="StateDictLoadReport.Notes"/>: a 3-channel stem loaded into a
/// 1-channel encoder sums its input-channel weights (grey images replicated to RGB give the same features); and SMP's
/// last U-Net block, which has no skip connection, is zero-extended for the input-image skip SharpSeg's U-Net adds, so
/// the model computes exactly what SMP's does.
/// </remarks>
public static partial class PretrainedWeights
{
    /// <summary>Reads <paramref name="path"/> (<see cref="StateDict.Load"/>) and loads all of <paramref name="model"/> from it.</summary>
    public static StateDictLoadReport LoadModel(SegmentationModel model, string path, StateDictLayout? layout = null, bool strict = true)
    {
        using var weights = StateDict.Load(path);
        return LoadModel(model, weights, layout, strict);
    }

    /// <summary>Loads every tensor of <paramref name="model"/> (encoder, decoder, head, aux head) from
    /// <paramref name="weights"/>, read in <paramref name="layout"/> (null: <see cref="StateDictKeyMap.Detect"/>). Unless
    /// <paramref name="strict"/>, tensors the file lacks or has in another shape keep their fresh initialisation (a
    /// checkpoint continued with another number of classes or an added decoder part), as PyTorch's
    /// <c>load_state_dict(strict=False)</c>, and the report's notes say which; a file that fits less than half of the model
    /// is still refused (it is another model).</summary>
    public static StateDictLoadReport LoadModel(SegmentationModel model, StateDict weights, StateDictLayout? layout = null, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        return Apply(model, "", weights, layout ?? StateDictKeyMap.Detect(weights.Keys), Architecture(model), encoderOnly: false, model.InChannels,
            $"model {Name(model)}", strict);
    }

    /// <summary>Loads only <paramref name="model"/>'s encoder from <paramref name="weights"/> (a classifier, a bare backbone or
    /// a whole segmentation model: keys that are not the encoder's are ignored and counted).</summary>
    public static StateDictLoadReport LoadEncoder(SegmentationModel model, StateDict weights, StateDictLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        return Apply(model.Encoder, "encoder.", weights, layout ?? StateDictKeyMap.Detect(weights.Keys), Architecture(model), encoderOnly: true, model.InChannels,
            $"encoder {model.Config?.Encoder ?? (model.Encoder as ResNetEncoder)?.Variant ?? model.Encoder.GetName()}");
    }

    /// <summary>Loads a bare <paramref name="encoder"/> (keys without the <c>encoder.</c> prefix, i.e. torchvision's) from
    /// <paramref name="weights"/>; keys that are not an encoder's are ignored and counted.</summary>
    public static StateDictLoadReport LoadEncoder(Encoder encoder, StateDict weights, StateDictLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(weights);
        return Apply(encoder, "encoder.", weights, layout ?? StateDictKeyMap.Detect(weights.Keys), "", encoderOnly: true, encoder.InChannels,
            $"encoder {(encoder as ResNetEncoder)?.Variant ?? encoder.GetName()}");
    }

    private static StateDictLoadReport Apply(nn.Module target, string prefix, StateDict weights, StateDictLayout layout, string architecture,
        bool encoderOnly, int inChannels, string targetName, bool strict = true)
    {
        var missing = new List<(string, string?)>();
        var mismatched = new List<(string, string, long[], long[])>();
        var notes = new List<string>(weights.Notes);
        var plan = new List<(Tensor Target, Func<Tensor> Value)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, t) in target.state_dict())
        {
            string modelKey = prefix + key;
            bool optional = key.EndsWith("num_batches_tracked", StringComparison.Ordinal);
            string? fileKey = StateDictKeyMap.FileKey(modelKey, layout, architecture);
            if (fileKey is null || !weights.TryGet(fileKey, out var source))
            {
                if (!optional) missing.Add((modelKey, fileKey));
                continue;
            }
            used.Add(fileKey);
            if (source.shape.SequenceEqual(t.shape)) { plan.Add((t, () => source)); continue; }
            if (optional && source.numel() == 1 && t.numel() == 1) { plan.Add((t, () => source.reshape(t.shape))); continue; }
            if (IsStem(modelKey) && t.dim() == 4 && source.dim() == 4 && t.shape[1] == 1 && source.shape[1] == 3
                && t.shape[0] == source.shape[0] && t.shape[2] == source.shape[2] && t.shape[3] == source.shape[3])
            {
                plan.Add((t, () => source.sum(1, keepdim: true)));
                notes.Add($"{modelKey}: 3-channel weights summed for the 1-channel input.");
                continue;
            }
            if (layout == StateDictLayout.Smp && SharpSegUNetFirstConv().IsMatch(modelKey) && t.dim() == 4 && source.dim() == 4
                && t.shape[1] == source.shape[1] + inChannels && t.shape[0] == source.shape[0] && t.shape[2] == source.shape[2] && t.shape[3] == source.shape[3])
            {
                var shape = t.shape;
                plan.Add((t, () => torch.cat([source.to(t.dtype), torch.zeros(shape[0], inChannels, shape[2], shape[3], dtype: t.dtype)], 1)));
                notes.Add($"{modelKey}: SMP's block has no skip here; the {inChannels} input-image skip channels SharpSeg adds start at zero (same output as SMP).");
                continue;
            }
            mismatched.Add((modelKey, fileKey, source.shape, t.shape));
        }
        var unexpected = new List<string>();
        int ignored = 0;
        foreach (var k in weights.Keys)
        {
            if (used.Contains(k)) continue;
            if (k.EndsWith("num_batches_tracked", StringComparison.Ordinal) || (encoderOnly && !StateDictKeyMap.IsEncoderFileKey(k, layout))
                || (target is Encoder shortened && shortened.LeavesOut(k.StartsWith(prefix, StringComparison.Ordinal) ? k[prefix.Length..] : k))) ignored++;
            else unexpected.Add(k);
        }
        var report = new StateDictLoadReport
        {
            Source = weights.Source, Layout = layout, Target = targetName, Missing = missing, Unexpected = unexpected,
            ShapeMismatched = mismatched, Ignored = ignored, Notes = notes,
        };
        if (strict) report.ThrowIfIncomplete();
        else if (plan.Count * 2 < plan.Count + missing.Count + mismatched.Count)
            throw new SharpSegException($"{weights.Source}: only {plan.Count} of {plan.Count + missing.Count + mismatched.Count} tensors of {targetName} fit ({missing.Count} missing, {mismatched.Count} shape-mismatched, read as {layout} layout); even without strict loading at least half must come from the file: check it is a model of this kind.") { Details = report.ToTable() };
        else if (!report.IsComplete)
        {
            var fresh = mismatched.Select(m => m.Item1).Concat(missing.Select(m => m.Item1)).ToList();
            notes.Add($"not strict: {fresh.Count} tensors keep their fresh initialisation ({mismatched.Count} of another shape in the file, {missing.Count} not in it: "
                + string.Join(", ", fresh.Take(8)) + (fresh.Count > 8 ? ", …" : "") + $"); {unexpected.Count} file tensors unused.");
        }
        using (torch.no_grad())
        {
            foreach (var (t, value) in plan)
            {
                using var scope = NewDisposeScope();
                t.copy_(value().to(t.dtype, t.device));
            }
        }
        return report with { Loaded = plan.Count };
    }

    private static bool IsStem(string modelKey) => modelKey is "encoder.conv1.weight" or "encoder.features.0.0.weight";

    private static string Architecture(SegmentationModel model) => model.Config?.Architecture ?? "";

    private static string Name(SegmentationModel model) =>
        model.Config is { } c ? $"{c.Architecture}/{c.Encoder}" : model.GetName();

    [GeneratedRegex(@"^decoder\.blocks\.\d+\.conv\.layers\.conv0\.weight$")]
    private static partial Regex SharpSegUNetFirstConv();
}
