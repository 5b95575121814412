using TorchSharp;
using static TorchSharp.torch;
using SharpSeg.Models.Onnx;

namespace SharpSeg.Models.Decoders;

/// <summary>
/// The end shared by the SegFormer and HRNet heads: every map bilinearly upsampled (align_corners=false) to the size of
/// a reference map (their stride-4 stage), concatenated along channels in the order given, then a fuse module (their
/// 1×1 conv → BN → ReLU). The torch forward and the ONNX emitter side by side; the fuse module stays a field of the
/// decoder (its parameter names are the official checkpoint keys).
/// </summary>
internal static class UpsampleConcatFuse
{
    /// <summary><c>fuse(cat([interpolate(m, like.shape[2..]) for m in maps], 1))</c>; a map already at the reference size
    /// is used as it is.</summary>
    public static Tensor Forward(IReadOnlyList<Tensor> maps, Tensor like, nn.Module<Tensor, Tensor> fuse)
    {
        long h = like.shape[2], w = like.shape[3];
        var parts = new Tensor[maps.Count];
        for (int k = 0; k < parts.Length; k++)
        {
            var y = maps[k];
            parts[k] = y.shape[2] == h && y.shape[3] == w ? y
                : nn.functional.interpolate(y, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        return fuse.call(torch.cat(parts, dim: 1));
    }

    /// <summary>ONNX graph of <see cref="Forward"/>. The sizes are known from the strides (the padded input is a
    /// multiple of the output stride): a map at the reference's stride needs no Resize.</summary>
    /// <param name="graph">The graph being written.</param>
    /// <param name="maps">The maps, in concatenation order.</param>
    /// <param name="strides">Each map's stride.</param>
    /// <param name="like">The reference map.</param>
    /// <param name="likeStride">Its stride.</param>
    /// <param name="fuse">The fuse module.</param>
    public static OnnxValue ExportOnnx(OnnxGraphBuilder graph, IReadOnlyList<OnnxValue> maps, IReadOnlyList<int> strides, OnnxValue like, int likeStride, nn.Module fuse)
    {
        var parts = new OnnxValue[maps.Count];
        for (int k = 0; k < parts.Length; k++)
            parts[k] = strides[k] == likeStride ? maps[k] : graph.ResizeLike(maps[k], like);
        return graph.Module(fuse, graph.Concat(parts));
    }
}
