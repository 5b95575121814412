using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.Models;
using SharpSeg.Training;
using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Checkpoints;

namespace SharpSeg.Tests.Onnx;

/// <summary>Tiny models with realistic BatchNorm statistics and the checkpoint facts an export needs.</summary>
public static class ExportFixture
{
    /// <summary>A registered tiny model with its BatchNorm running statistics settled by a few training-mode passes
    /// (random-init statistics of mean 0, variance 1 let activations grow through deep encoders, which no trained model
    /// does), then in eval mode.</summary>
    public static SegmentationModel SettledModel(ModelConfig config, int seed = 5)
    {
        torch.manual_seed(seed);
        var model = ModelZoo.Create(config);
        model.train();
        using (torch.no_grad())
            for (int i = 0; i < 3; i++)
            {
                using var scope = NewDisposeScope();
                model.call(randn(2, config.InChannels, 64, 64));
            }
        model.eval();
        return model;
    }

    /// <summary>Checkpoint facts for a config: classes c0, c1… with distinct colours, ImageNet normalisation.</summary>
    public static CheckpointInfo Info(ModelConfig config, double inferenceScale = 1.0) => new()
    {
        Model = JsonSerializer.SerializeToNode(config)!.AsObject(),
        Classes = new ClassTable(Enumerable.Range(0, config.NumClasses).Select(i => new ClassInfo($"c{i}", new Rgb((byte)(40 * i), (byte)(255 - 40 * i), 128), null)).ToList()),
        ImageChannels = config.InChannels,
        Mean = [0.485, 0.456, 0.406],
        Std = [0.229, 0.224, 0.225],
        InferenceScale = inferenceScale,
    };

    /// <summary>Max |a − b| and the share of pixels whose arg-max class agrees, for logits <c>[N, C, H, W]</c>.</summary>
    public static (double MaxAbsDiff, double ArgmaxAgreement) Compare(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        double diff = (expected - actual).abs().max().item<float>();
        // A pixel whose two best logits are closer than the backends' rounding difference is a tie: either answer is
        // right (seen: max |Δ| 1.6e-8 and one tied pixel of 5120 flipped). Agreement counts the decided pixels only.
        var top2 = expected.topk(2, dim: 1).values;
        // A NaN difference decides nothing about ties: only exact ties are excused then (the NaN fails the caller's bound).
        double tieBand = double.IsFinite(diff) ? Math.Max(1e-6, 2 * diff) : 0;
        var decided = (top2.select(1, 0) - top2.select(1, 1)).gt(tieBand);
        double agree = expected.argmax(1).eq(actual.argmax(1)).logical_or(decided.logical_not()).to(ScalarType.Float32).mean().item<float>();
        return (diff, agree);
    }
}
