using System.Diagnostics;
using SharpSeg.Data;
using SharpSeg.Imaging;
using SharpSeg.Metrics;
using SharpSeg.Models;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;
using SharpSeg.Data.Dataset;
using SharpSeg.Data.Masks;
using SharpSeg.Data.Loading;

namespace SharpSeg.SelfSupervised;

/// <summary>
/// Linear probe of an encoder for segmentation: the encoder is frozen (eval mode), one of its feature maps is computed
/// once per image, standardised per channel with the training images' statistics, and a single 1×1 convolution
/// (zero-initialised, so the result is deterministic) is trained with Adam to predict the class of every pixel from it
/// (logits bilinearly upsampled to the image, cross entropy, ignore pixels excluded). What the probe reaches on the
/// validation images says how much class information the frozen features carry; comparing encoders (random init,
/// self-supervised, ImageNet) on one probe compares their features, not their fine-tuning.
/// </summary>
public static class LinearProbe
{
    /// <summary>
    /// Probes <paramref name="encoder"/> (left in eval mode, weights untouched) with samples already decoded;
    /// <paramref name="classNames"/> gives the number of classes (mask values 0..K−1, 255 ignored).
    /// </summary>
    public static LinearProbeResult Run(Encoder encoder, IReadOnlyList<SegmentationSample> train, IReadOnlyList<SegmentationSample> val,
        Normalization normalization, IReadOnlyList<string> classNames, LinearProbeOptions? options = null, Device? device = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var o = options ?? new LinearProbeOptions();
        o.Validate();
        if (train.Count == 0 || val.Count == 0) throw new SharpSegException("the linear probe needs training and validation images.");
        var dev = device ?? CPU;
        int stage = o.Stage < 0 ? encoder.Depth + 1 + o.Stage : o.Stage;
        if (stage < 0 || stage > encoder.Depth || encoder.OutChannels[stage] == 0)
            throw new SharpSegException($"probe stage {o.Stage} is not a feature map of this encoder (stages 0..{encoder.Depth}, deepest = -1).");
        int channels = encoder.OutChannels[stage], stride = encoder.Strides[stage], classes = classNames.Count;
        var clock = Stopwatch.StartNew();
        encoder.to(dev);
        encoder.eval();

        var trainSet = Features(encoder, train, normalization, stage, o.Scale, dev, cancellationToken);
        var valSet = Features(encoder, val, normalization, stage, o.Scale, dev, cancellationToken);
        try
        {
            // Per-channel standardisation from the training features: a linear map, so the probe stays linear.
            FrozenFeaturePass.Standardise(trainSet.Select(f => f.Features), trainSet.Concat(valSet).Select(f => f.Features));
            using var head = nn.Conv2d(channels, classes, kernel_size: 1);
            using (torch.no_grad()) { head.weight!.zero_(); head.bias!.zero_(); }
            head.to(dev);
            using var adam = optim.Adam(head.parameters(), o.Lr);
            var rng = DeterministicSeed.Create(o.Seed, 0x9B0BE);
            float lastLoss = float.NaN;
            int n = Math.Min(o.BatchSize, trainSet.Count);
            for (int it = 0; it < o.Iterations; it++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                // Cosine decay to 0: the head settles instead of jittering at the last step, so runs compare features.
                foreach (var g in adam.ParamGroups) g.LearningRate = o.Lr * 0.5 * (1 + Math.Cos(Math.PI * it / o.Iterations));
                adam.zero_grad();
                var picks = n == trainSet.Count ? trainSet : Enumerable.Range(0, n).Select(_ => trainSet[rng.Next(trainSet.Count)]).ToList();
                // Images of one size go through the head together; the loss is the mean over the labelled pixels of the batch.
                Tensor? sum = null;
                long labelled = 0;
                foreach (var group in picks.GroupBy(p => (p.PaddedHeight, p.PaddedWidth, p.Mask.shape[1], p.Mask.shape[2])))
                {
                    var items = group.ToList();
                    var features = items.Count == 1 ? items[0].Features : torch.cat(items.Select(i => i.Features).ToArray(), 0);
                    var masks = items.Count == 1 ? items[0].Mask : torch.cat(items.Select(i => i.Mask).ToArray(), 0);
                    var l = nn.functional.cross_entropy(Logits(head, features, group.Key.PaddedHeight, group.Key.PaddedWidth, masks), masks,
                        ignore_index: LabelMask.Ignore, reduction: nn.Reduction.Sum);
                    sum = sum is null ? l : sum + l;
                    labelled += items.Sum(i => i.Labelled);
                }
                if (labelled == 0) continue;
                var loss = sum! / labelled;
                loss.backward();
                adam.step();
                lastLoss = loss.item<float>();
            }

            var matrix = new ConfusionMatrix(classes);
            using (torch.no_grad())
            {
                foreach (var item in valSet)
                {
                    using var scope = NewDisposeScope();
                    var prediction = Logits(head, item.Features, item.PaddedHeight, item.PaddedWidth, item.Mask).argmax(1).cpu();
                    matrix.Update(prediction, item.Mask.cpu());
                }
            }
            return new LinearProbeResult(matrix.Compute(classNames), lastLoss, channels, stride, trainSet.Count, clock.Elapsed);
        }
        finally
        {
            foreach (var f in trainSet.Concat(valSet)) { f.Features.Dispose(); f.Mask.Dispose(); }
        }
    }

    /// <summary>
    /// Probes the encoder of an encoder checkpoint (<paramref name="encoderCheckpoint"/>, with its own normalisation),
    /// any other encoder weights a recipe's <c>model.encoder_weights</c> takes (<c>imagenet</c>, .safetensors/.pth, a
    /// training checkpoint; loaded into <paramref name="randomEncoder"/>'s encoder, resnet18_imagenet for imagenet), or
    /// a randomly initialised encoder (<paramref name="randomEncoder"/>, seeded by <paramref name="initSeed"/>, ImageNet
    /// normalisation), on two splits of a dataset.yaml.
    /// </summary>
    public static LinearProbeResult RunOnDataset(string datasetYaml, string? dataRoot, string trainSplit, string valSplit,
        string? encoderCheckpoint, ModelConfig? randomEncoder, LinearProbeOptions options, long initSeed = 0, string device = "cpu",
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        var spec = DatasetSpec.Load(datasetYaml, dataRoot);
        Encoder encoder;
        IDisposable owner;
        Normalization normalization;
        if (encoderCheckpoint != null && EncoderCheckpoint.IsEncoderCheckpoint(encoderCheckpoint))
        {
            var ckpt = EncoderCheckpoint.Load(encoderCheckpoint);
            encoder = ckpt.CreateEncoder();
            owner = encoder;
            normalization = ckpt.Normalization;
        }
        else if (encoderCheckpoint != null)
        {
            // Any other weights the training recipes take (imagenet, .safetensors/.pth, a training checkpoint).
            string name = Pretrained.EncoderWeights.EncoderFor(encoderCheckpoint, randomEncoder?.Encoder ?? "resnet18");
            var model = Pretrained.EncoderWeights.CreateWithEncoder(name, encoderCheckpoint, spec.ImageChannels, out normalization);
            encoder = model.Encoder;
            owner = model;
        }
        else
        {
            var config = randomEncoder ?? throw new SharpSegException("give an encoder checkpoint or an encoder to initialise at random.");
            Engine.TorchRuntime.Seed(initSeed);
            encoder = EncoderCheckpoint.BuildEncoder(config with { InChannels = spec.ImageChannels });
            owner = encoder;
            normalization = Normalization.ImageNet.ForChannels(spec.ImageChannels);
        }
        using (owner)
        {
            if (encoder.InChannels != spec.ImageChannels)
                throw new SharpSegException($"{spec.SourcePath}: images have {spec.ImageChannels} channel(s) but the encoder takes {encoder.InChannels}.");
            var decoder = new SampleDecoder(spec);
            var train = Decode(spec, decoder, trainSplit, cancellationToken);
            var val = Decode(spec, decoder, valSplit, cancellationToken);
            return Run(encoder, train, val, normalization, spec.Classes.Names.ToList(), options,
                Engine.TorchRuntime.ResolveDevice(device), cancellationToken);
        }
    }

    static List<SegmentationSample> Decode(DatasetSpec spec, SampleDecoder decoder, string split, CancellationToken ct)
    {
        if (!spec.SplitNames.Contains(split))
            throw new SharpSegException($"{spec.SourcePath}: has no split '{split}' (splits: {string.Join(", ", spec.SplitNames)}).");
        var list = new List<SegmentationSample>();
        foreach (var pair in spec.ResolvePairs(split))
        {
            ct.ThrowIfCancellationRequested();
            list.Add(decoder.Decode(pair));
        }
        return list;
    }

    /// <summary>One image's frozen features <c>[1, C, h, w]</c> and mask <c>[1, H, W]</c>; the padded size is h·s × w·s.</summary>
    sealed record ProbeItem(Tensor Features, Tensor Mask, long PaddedHeight, long PaddedWidth, long Labelled);

    /// <summary>Head logits upsampled to the padded size and cropped to the masks' size: <c>[N, K, H, W]</c>.</summary>
    static Tensor Logits(nn.Module<Tensor, Tensor> head, Tensor features, long paddedHeight, long paddedWidth, Tensor masks)
    {
        var logits = nn.functional.interpolate(head.call(features), size: [paddedHeight, paddedWidth], mode: InterpolationMode.Bilinear, align_corners: false);
        return logits[.., .., ..(int)masks.shape[1], ..(int)masks.shape[2]];
    }

    static List<ProbeItem> Features(Encoder encoder, IReadOnlyList<SegmentationSample> samples, Normalization normalization, int stage, double scale,
        Device device, CancellationToken ct)
    {
        var items = new List<ProbeItem>();
        foreach (var original in samples)
        {
            ct.ThrowIfCancellationRequested();
            var f = FrozenFeaturePass.Run(encoder, original, normalization, [stage], scale, device);
            long labelled = f.Sample.Mask.Labels.LongCount(v => v != LabelMask.Ignore);
            items.Add(new ProbeItem(f.Maps[0], f.Mask, f.PaddedHeight, f.PaddedWidth, labelled));
        }
        return items;
    }
}
