using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Encoders;

/// <summary>
/// The forward pass shared by encoders that are one sequence of blocks (torchvision's <c>features</c> of MobileNetV2/V3):
/// run every block and return the input plus the output of each block listed in <c>stageEnds</c>.
/// </summary>
internal static class SequentialStages
{
    /// <summary><c>[N, C, H, W]</c> → <c>stageEnds.Count + 1</c> maps, the input first.</summary>
    public static Tensor[] Forward(IList<nn.Module<Tensor, Tensor>> blocks, IReadOnlyList<int> stageEnds, Tensor x)
    {
        var outputs = new Tensor[stageEnds.Count + 1];
        outputs[0] = x;
        int stage = 0;
        for (int i = 0; i < blocks.Count && stage < stageEnds.Count; i++)
        {
            x = blocks[i].call(x);
            if (i == stageEnds[stage]) outputs[++stage] = x;
        }
        return outputs;
    }

    /// <summary>Strides of the returned maps: 1, 2, 4, 8, then 16 and the output stride (dilation keeps deeper maps at it).</summary>
    public static int[] Strides(int outputStride) => [1, 2, 4, 8, Math.Min(16, outputStride), outputStride];

    /// <summary>ONNX graph of <see cref="Forward"/>.</summary>
    public static OnnxValue[] ExportOnnx(OnnxGraphBuilder graph, IList<nn.Module<Tensor, Tensor>> blocks, IReadOnlyList<int> stageEnds, OnnxValue x)
    {
        var outputs = new OnnxValue[stageEnds.Count + 1];
        outputs[0] = x;
        int stage = 0;
        for (int i = 0; i < blocks.Count && stage < stageEnds.Count; i++)
        {
            x = graph.Module(blocks[i], x);
            if (i == stageEnds[stage]) outputs[++stage] = x;
        }
        return outputs;
    }
}
