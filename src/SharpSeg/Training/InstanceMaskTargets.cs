using SharpSeg.Imaging;
using SharpSeg.Instances;
using SharpSeg.Models.MaskClassification;
using static TorchSharp.torch;

namespace SharpSeg.Training;

/// <summary>
/// Panoptic ground truth for the Mask2Former set criterion from semantic masks: each connected component of a thing class
/// is one ground-truth mask (<see cref="ConnectedComponents"/>), each stuff class present one mask, as Mask2Former's
/// panoptic training data has one mask per segment. Trained on these, queries learn one instance each, and the panoptic
/// inference (<see cref="PanopticInference"/>) separates instances of the same class.
/// </summary>
public static class InstanceMaskTargets
{
    /// <summary>Targets for a batch <c>[N, H, W]</c> of class indices (or <paramref name="ignoreIndex"/>): per image the
    /// stuff classes present in class order, then the thing instances in raster order of their first pixel.</summary>
    /// <param name="target">Class indices, any integer dtype, any device (labelled on the CPU).</param>
    /// <param name="things">Per class: true = split into connected components.</param>
    /// <param name="connectivity">How pixels of one instance touch.</param>
    /// <param name="ignoreIndex">Pixels in no mask and not valid.</param>
    /// <param name="dtype">The masks' dtype (the model's).</param>
    public static MaskTargets[] Build(Tensor target, IReadOnlyList<bool> things, Connectivity connectivity = Connectivity.Eight, long ignoreIndex = LabelMask.Ignore, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(things);
        if (target.dim() != 3) throw new ArgumentException($"target must be [N, H, W], got [{string.Join(", ", target.shape)}]", nameof(target));
        if (ignoreIndex != LabelMask.Ignore) throw new ArgumentException($"instance targets need the ignore index {LabelMask.Ignore}", nameof(ignoreIndex));
        int n = (int)target.shape[0], h = (int)target.shape[1], w = (int)target.shape[2], classes = things.Count;
        var thing = things.ToArray();
        var result = new MaskTargets[n];
        for (int b = 0; b < n; b++)
        {
            using var scope = NewDisposeScope();
            var t = target[b].to(ScalarType.Int64).cpu().contiguous();
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.bytes).ToArray();
            var labels = new byte[values.Length];
            var present = new bool[classes];
            for (int i = 0; i < values.Length; i++)
            {
                long v = values[i];
                if (v == ignoreIndex) { labels[i] = LabelMask.Ignore; continue; }
                if (v < 0 || v >= classes)
                    throw new SharpSegException($"a target pixel has value {v} but the model has {classes} classes (ignore {ignoreIndex}): check the dataset's classes.");
                labels[i] = (byte)v;
                present[v] = true;
            }
            var components = ConnectedComponents.Label(new LabelMask(w, h, labels), connectivity, thing);
            var maskLabels = new List<long>();
            for (int c = 0; c < classes; c++) if (present[c] && !thing[c]) maskLabels.Add(c);
            int stuffCount = maskLabels.Count;
            maskLabels.AddRange(components.ClassOf.Select(c => (long)c));
            // Mask index per pixel: stuff class → its position, instance id k → stuffCount + k − 1, none → −1.
            var stuffIndex = new int[classes];
            for (int m = 0; m < stuffCount; m++) stuffIndex[maskLabels[m]] = m;
            var index = new long[labels.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                int k = components.Ids[i], c = labels[i];
                index[i] = k > 0 ? stuffCount + k - 1 : c != LabelMask.Ignore && !thing[c] ? stuffIndex[c] : -1;
            }
            var indexTensor = tensor(index, [h, w]).to(target.device);
            var masks = maskLabels.Count == 0 ? zeros(0, h, w, dtype: dtype, device: target.device)
                : indexTensor.unsqueeze(0).eq(arange(maskLabels.Count, device: target.device).view(-1, 1, 1)).to_type(dtype);
            var valid = target[b].ne(ignoreIndex).unsqueeze(0).to_type(dtype);
            result[b] = new MaskTargets([.. maskLabels], masks.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope());
        }
        return result;
    }
}
