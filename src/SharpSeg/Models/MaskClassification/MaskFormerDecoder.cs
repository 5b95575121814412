using SharpSeg.Models.Decoders;
using SharpSeg.Models.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Proto = global::Onnx;

namespace SharpSeg.Models.MaskClassification;

/// <summary>Sizes of the Mask2Former decoder; the defaults are the paper's (100 queries, 256 channels, 8 heads, FFN 2048,
/// 9 layers = 3 rounds over the 1/32, 1/16, 1/8 maps, masked attention on).</summary>
public sealed record MaskFormerOptions
{
    /// <summary>N, the learned queries (predicted masks).</summary>
    public int Queries { get; init; } = 100;
    /// <summary>Width of the pixel decoder, the queries and the mask embeddings.</summary>
    public int HiddenDim { get; init; } = 256;
    /// <summary>Attention heads (a divisor of <see cref="HiddenDim"/>).</summary>
    public int Heads { get; init; } = 8;
    /// <summary>Hidden width of each layer's feed-forward network.</summary>
    public int FeedForwardDim { get; init; } = 2048;
    /// <summary>Transformer decoder layers (each: cross-attention, self-attention, FFN).</summary>
    public int Layers { get; init; } = 9;
    /// <summary>Mask2Former's masked attention: each query attends only where its previous mask is foreground. False:
    /// plain cross-attention (MaskFormer-like).</summary>
    public bool MaskedAttention { get; init; } = true;
}

/// <summary>
/// Mask2Former (Cheng et al. 2022) as a SharpSeg decoder, CPU-friendly: an FPN pixel decoder (MaskFormer's
/// BasePixelDecoder: 1×1 lateral convs, nearest top-down sum, 3×3 output convs, GroupNorm) gives the 1/32, 1/16, 1/8
/// maps for the transformer decoder and per-pixel embeddings at stride 4; a transformer decoder of N learned queries
/// (masked cross-attention, self-attention, FFN, post-LayerNorm) predicts after the queries' initialisation and after each
/// layer the class logits (K+1, the last "no object") and the mask logits (mask embeddings · per-pixel embeddings).
/// <see cref="forward"/> composes the semantic map Σ_q softmax(class_q)[:K] · sigmoid(mask_q) at stride 4 and returns its
/// natural log (clamped at 1e-8), so arg-max and softmax consumers see the semantic scores; <see cref="ForwardLayers"/>
/// gives the raw per-layer predictions for the set criterion.
/// </summary>
public sealed class MaskFormerDecoder : Decoder
{
    /// <summary>Where the semantic score is clamped before its logarithm.</summary>
    public const double ScoreFloor = 1e-8;
    const double MaskedScore = -1e9;
    const int ScaleCount = 3;

    private readonly ModuleList<nn.Module<Tensor, Tensor>> laterals, outputs;
    private readonly Conv2d maskFeatures;
    // Learned query features and positions, and one embedding per scale (Mask2Former's nn.Embedding tables, N(0, 1)).
    private readonly Parameter queryFeat, queryEmbed, levelEmbed;
    private readonly ModuleList<MaskedAttentionLayer> layers;
    private readonly LayerNorm decoderNorm;
    private readonly Linear classEmbed;
    private readonly Sequential maskEmbed;
    private readonly int firstStage, numClasses;
    private readonly int[] strides;

    /// <param name="encoderChannels">The encoder's channels per stage (the last four, strides 4..32, are used).</param>
    /// <param name="encoderStrides">The encoder's strides.</param>
    /// <param name="numClasses">K, the real classes.</param>
    /// <param name="options">Sizes (null: the paper's).</param>
    public MaskFormerDecoder(IReadOnlyList<int> encoderChannels, IReadOnlyList<int> encoderStrides, int numClasses, MaskFormerOptions? options = null)
        : base(nameof(MaskFormerDecoder))
    {
        if (encoderChannels.Count < 4) throw new ArgumentException("Mask2Former needs an encoder with at least 3 downsampling stages", nameof(encoderChannels));
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses));
        Options = options ?? new MaskFormerOptions();
        var o = Options;
        if (o.Queries < 1 || o.HiddenDim < 1 || o.Layers < 0 || o.FeedForwardDim < 1 || o.Heads < 1 || o.HiddenDim % o.Heads != 0)
            throw new SharpSegException($"invalid Mask2Former sizes: {o.Queries} queries, hidden {o.HiddenDim} with {o.Heads} heads (a divisor), FFN {o.FeedForwardDim}, {o.Layers} layers.");
        this.numClasses = numClasses;
        firstStage = encoderChannels.Count - 4;
        strides = encoderStrides.ToArray();
        OutputStride = encoderStrides[firstStage];
        int d = o.HiddenDim, groups = Gcd(32, d);
        var lat = new List<nn.Module<Tensor, Tensor>>();
        var outs = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < 4; i++)
        {
            int c = encoderChannels[firstStage + i];
            // The deepest level has no lateral conv: its output conv reads the encoder map directly.
            lat.Add(i == 3 ? nn.Identity() : nn.Sequential(nn.Conv2d(c, d, 1, bias: false), GroupNorm(groups, d)));
            outs.Add(nn.Sequential(nn.Conv2d(i == 3 ? c : d, d, 3, padding: 1, bias: false), GroupNorm(groups, d), nn.ReLU()));
        }
        laterals = nn.ModuleList(lat.ToArray());
        outputs = nn.ModuleList(outs.ToArray());
        maskFeatures = nn.Conv2d(d, d, 3, padding: 1);
        queryFeat = new Parameter(randn(o.Queries, d));
        queryEmbed = new Parameter(randn(o.Queries, d));
        levelEmbed = new Parameter(randn(ScaleCount, d));
        layers = nn.ModuleList(Enumerable.Range(0, o.Layers).Select(i => new MaskedAttentionLayer($"layer{i}", d, o.Heads, o.FeedForwardDim)).ToArray());
        decoderNorm = nn.LayerNorm(d);
        classEmbed = nn.Linear(d, numClasses + 1);
        maskEmbed = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d));
        RegisterComponents();
    }

    /// <summary>GroupNorm with weight 1 and bias 0 set explicitly: TorchSharp 0.107's nn.GroupNorm leaves its affine
    /// parameters uninitialised (see FpnSegmentationBlock).</summary>
    static GroupNorm GroupNorm(int groups, int channels)
    {
        var gn = nn.GroupNorm(groups, channels);
        using (no_grad())
        {
            nn.init.ones_(gn.weight!);
            nn.init.zeros_(gn.bias!);
        }
        return gn;
    }

    static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>Sizes.</summary>
    public MaskFormerOptions Options { get; }

    /// <summary>K semantic log-scores.</summary>
    public override int OutChannels => numClasses;
    public override int OutputStride { get; }
    public override bool OutputsLogits => true;

    /// <summary>Encoder maps → the log of the semantic scores <c>[N, K, H/4, W/4]</c>.</summary>
    public override Tensor forward(Tensor[] features)
    {
        var (classLogits, maskLogits) = ForwardLayers(features)[^1];
        return SemanticLogScores(classLogits, maskLogits);
    }

    /// <summary>Mask2Former's semantic inference from one prediction: class logits <c>[N, Q, K+1]</c> and mask logits
    /// <c>[N, Q, h, w]</c> → <c>log(max(Σ_q softmax(class_q)[:K] · sigmoid(mask_q), 1e-8))</c> <c>[N, K, h, w]</c>
    /// (what <see cref="forward"/> returns for the last prediction).</summary>
    public Tensor SemanticLogScores(Tensor classLogits, Tensor maskLogits)
    {
        ArgumentNullException.ThrowIfNull(classLogits);
        ArgumentNullException.ThrowIfNull(maskLogits);
        var probs = classLogits.softmax(-1)[.., .., ..numClasses];                       // [N, Q, K]
        long n = maskLogits.shape[0], q = maskLogits.shape[1], h = maskLogits.shape[2], w = maskLogits.shape[3];
        var semantic = probs.transpose(1, 2).matmul(maskLogits.reshape(n, q, h * w).sigmoid()); // [N, K, hw]
        return semantic.clamp_min(ScoreFloor).log().reshape(n, numClasses, h, w);
    }

    /// <summary>Multiply-accumulates of the products that are not layers (which <see cref="FlopCounter"/> counts by their
    /// hooks), for an output of shape <c>[N, K, h, w]</c> at stride 4 of an input padded to stride 32: the mask
    /// embeddings · per-pixel embeddings of every prediction (<c>(L+1)·Q·D·hw</c>), the attention products of every layer
    /// (cross: <c>2·Q·M·D</c> with M the pixels of its scale; self: <c>2·Q²·D</c>) and the semantic composition
    /// (<c>K·Q·hw</c>), times N.</summary>
    public long ProductMacs(long[] outputShape)
    {
        ArgumentNullException.ThrowIfNull(outputShape);
        long n = outputShape[0], h = outputShape[2], w = outputShape[3], hw = h * w;
        long q = Options.Queries, d = Options.HiddenDim;
        long macs = (Options.Layers + 1) * q * d * hw + numClasses * q * hw;
        for (int i = 0; i < Options.Layers; i++)
        {
            int shrink = 8 >> (i % ScaleCount); // the 1/32, 1/16, 1/8 maps are 8, 4, 2 times smaller than stride 4
            macs += 2 * q * (h / shrink) * (w / shrink) * d + 2 * q * q * d;
        }
        return n * macs;
    }

    /// <summary>Encoder maps → per prediction (after the queries' initialisation, then after each layer; the last is the
    /// final one) the class logits <c>[N, Q, K+1]</c> and the mask logits <c>[N, Q, H/4, W/4]</c>.</summary>
    public IReadOnlyList<(Tensor ClassLogits, Tensor MaskLogits)> ForwardLayers(Tensor[] features)
    {
        var (multi, mf) = PixelDecoder(features);
        long n = mf.shape[0];
        var memory = new Tensor[ScaleCount];
        for (int l = 0; l < ScaleCount; l++)
            memory[l] = multi[l].flatten(2).transpose(1, 2) + levelEmbed[l];   // [N, hw_l, D]
        var tgt = queryFeat.unsqueeze(0).expand(n, -1, -1);
        var pos = queryEmbed.unsqueeze(0);
        var predictions = new List<(Tensor, Tensor)>();
        var (cls, masks, bias) = Predict(tgt, mf, multi[0]);
        predictions.Add((cls, masks));
        for (int i = 0; i < layers.Count; i++)
        {
            tgt = layers[i].Forward(tgt, pos, memory[i % ScaleCount], Options.MaskedAttention ? bias : null);
            (cls, masks, bias) = Predict(tgt, mf, multi[(i + 1) % ScaleCount]);
            predictions.Add((cls, masks));
        }
        return predictions;
    }

    internal (Tensor[] Multi, Tensor MaskFeatures) PixelDecoder(Tensor[] features)
    {
        var multi = new List<Tensor>();
        var y = outputs[3].call(features[firstStage + 3]);
        multi.Add(y);
        for (int k = 2; k >= 0; k--)
        {
            var lateral = laterals[k].call(features[firstStage + k]);
            if (y.shape[2] != lateral.shape[2] || y.shape[3] != lateral.shape[3])
                y = nn.functional.interpolate(y, size: [lateral.shape[2], lateral.shape[3]], mode: InterpolationMode.Nearest);
            y = outputs[k].call(lateral + y);
            if (k >= 1) multi.Add(y);
        }
        return (multi.ToArray(), maskFeatures.call(y));
    }

    /// <summary>Mask2Former's forward_prediction_heads: class and mask logits, and the attention bias for the next layer
    /// (<c>[N, 1, Q, hw]</c>: −1e9 where the mask logit resized to <paramref name="next"/> is negative, i.e. sigmoid below
    /// 0.5, except for queries whose mask is empty everywhere).</summary>
    (Tensor Class, Tensor Masks, Tensor Bias) Predict(Tensor tgt, Tensor mf, Tensor next)
    {
        var output = decoderNorm.call(tgt);
        var cls = classEmbed.call(output);
        var embedding = maskEmbed.call(output);                                              // [N, Q, D]
        long n = mf.shape[0], c = mf.shape[1], h = mf.shape[2], w = mf.shape[3], q = tgt.shape[1];
        var masks = embedding.matmul(mf.reshape(n, c, h * w)).reshape(n, q, h, w);
        Tensor bias;
        using (no_grad())
        {
            var resized = nn.functional.interpolate(masks.detach(), size: [next.shape[2], next.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            var masked = resized.flatten(2).lt(0).to_type(masks.dtype);                      // [N, Q, M]
            var anyOpen = (1 - masked).amax([-1], keepdim: true);
            bias = (masked * anyOpen * MaskedScore).unsqueeze(1);
        }
        return (cls, masks, bias);
    }

    public override OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue[] features)
    {
        ArgumentNullException.ThrowIfNull(graph);
        // Pixel decoder.
        var multi = new List<OnnxValue>();
        var y = graph.Module(outputs[3], features[firstStage + 3]);
        multi.Add(y);
        for (int k = 2; k >= 0; k--)
        {
            var lateral = graph.Module(laterals[k], features[firstStage + k]);
            if (strides[firstStage + k + 1] != strides[firstStage + k]) y = graph.ResizeLike(y, lateral, OnnxGraphBuilder.Interpolation.Nearest);
            y = graph.Module(outputs[k], graph.Add(lateral, y));
            if (k >= 1) multi.Add(y);
        }
        var mf = graph.Module(maskFeatures, y);
        long d = Options.HiddenDim, q = Options.Queries;
        var mfFlat = graph.Reshape(mf, 0, d, -1);                                                      // [N, D, hw]
        var memory = new OnnxValue[ScaleCount];
        for (int l = 0; l < ScaleCount; l++)
            memory[l] = graph.Add(graph.Transpose(graph.Reshape(multi[l], 0, d, -1), 0, 2, 1),
                graph.Initializer(levelEmbed[l].detach(), graph.NewName("level_embed")));
        var batch = graph.Slice(graph.Shape(mf), 0, 1);
        var tgt = graph.Node("Expand", [graph.Initializer(queryFeat.detach(), graph.NewName("query_feat")),
            graph.Concat([batch, graph.Int64Constant([q, d])], axis: 0)]);
        var pos = graph.Initializer(queryEmbed.detach(), graph.NewName("query_embed"));
        OnnxValue MaskLogits(OnnxValue t) => graph.MatMul(graph.Module(maskEmbed, graph.Module(decoderNorm, t)), mfFlat); // [N, Q, hw]
        OnnxValue Bias(OnnxValue maskFlat, OnnxValue next)
        {
            var masks4 = graph.Reshape(maskFlat, graph.Concat([batch, graph.Int64Constant([q]), graph.Slice(graph.Shape(mf), 2, 4)], axis: 0));
            var resized = graph.Reshape(graph.ResizeLike(masks4, next), 0, q, -1);
            var masked = graph.Node("Cast", [graph.Node("Less", [resized, graph.Scalar(0f)])], ("to", (long)Proto.TensorProto.Types.DataType.Float));
            var anyOpen = graph.Node("ReduceMax", [graph.Sub(graph.Scalar(1f), masked)], ("axes", new long[] { -1 }), ("keepdims", 1L));
            return graph.Node("Unsqueeze", [graph.Mul(graph.Mul(masked, anyOpen), graph.Scalar((float)MaskedScore)), graph.Int64Constant([1])]);
        }
        var maskLogits = MaskLogits(tgt);
        for (int i = 0; i < layers.Count; i++)
        {
            OnnxValue? bias = Options.MaskedAttention ? Bias(maskLogits, multi[i % ScaleCount]) : null;
            tgt = layers[i].ExportOnnx(graph, tgt, pos, memory[i % ScaleCount], bias);
            maskLogits = MaskLogits(tgt);
        }
        var probs = graph.Softmax(graph.Module(classEmbed, graph.Module(decoderNorm, tgt)), -1);       // [N, Q, K+1]
        probs = graph.Node("Slice", [probs, graph.Int64Constant([0]), graph.Int64Constant([numClasses]), graph.Int64Constant([2])]);
        var semantic = graph.MatMul(graph.Transpose(probs, 0, 2, 1), graph.Sigmoid(maskLogits));     // [N, K, hw]
        var logScores = graph.Node("Log", [graph.Node("Max", [semantic, graph.Scalar((float)ScoreFloor)])]);
        return graph.Reshape(logScores, graph.Concat([batch, graph.Int64Constant([numClasses]), graph.Slice(graph.Shape(mf), 2, 4)], axis: 0));
    }
}

/// <summary>One Mask2Former decoder layer (post-norm, dropout 0): masked cross-attention of the queries to one scale of
/// the pixel decoder, self-attention among the queries, FFN; each with a residual and a LayerNorm.</summary>
internal sealed class MaskedAttentionLayer : nn.Module
{
    private readonly QueryAttention crossAttention, selfAttention;
    private readonly LayerNorm norm1, norm2, norm3;
    private readonly Linear linear1, linear2;

    public MaskedAttentionLayer(string name, int dim, int heads, int feedForward) : base(name)
    {
        crossAttention = new QueryAttention("cross_attention", dim, heads);
        norm1 = nn.LayerNorm(dim);
        selfAttention = new QueryAttention("self_attention", dim, heads);
        norm2 = nn.LayerNorm(dim);
        linear1 = nn.Linear(dim, feedForward);
        linear2 = nn.Linear(feedForward, dim);
        norm3 = nn.LayerNorm(dim);
        RegisterComponents();
        // Mask2Former's _reset_parameters: Xavier-uniform for every matrix of the transformer layers.
        using var noGrad = no_grad();
        foreach (var p in parameters().Where(p => p.dim() == 2))
        {
            double bound = Math.Sqrt(6.0 / (p.shape[0] + p.shape[1]));
            p.uniform_(-bound, bound);
        }
    }

    /// <summary>Queries <c>[N, Q, D]</c>, query positions <c>[1, Q, D]</c>, memory <c>[N, M, D]</c>, attention bias
    /// <c>[N, 1, Q, M]</c> or null → queries <c>[N, Q, D]</c>.</summary>
    public Tensor Forward(Tensor tgt, Tensor pos, Tensor memory, Tensor? bias)
    {
        tgt = norm1.call(tgt + crossAttention.Forward(tgt + pos, memory, memory, bias));
        var qk = tgt + pos;
        tgt = norm2.call(tgt + selfAttention.Forward(qk, qk, tgt, null));
        return norm3.call(tgt + linear2.call(nn.functional.relu(linear1.call(tgt))));
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue tgt, OnnxValue pos, OnnxValue memory, OnnxValue? bias)
    {
        tgt = graph.Module(norm1, graph.Add(tgt, crossAttention.ExportOnnx(graph, graph.Add(tgt, pos), memory, memory, bias)));
        var qk = graph.Add(tgt, pos);
        tgt = graph.Module(norm2, graph.Add(tgt, selfAttention.ExportOnnx(graph, qk, qk, tgt, null)));
        return graph.Module(norm3, graph.Add(tgt, graph.Module(linear2, graph.Relu(graph.Module(linear1, tgt)))));
    }
}

/// <summary>Multi-head attention as torch's nn.MultiheadAttention (separate q/k/v projections, scale 1/√d, output
/// projection) on batch-first <c>[N, L, D]</c> tensors, with an additive bias on the scores.</summary>
internal sealed class QueryAttention : nn.Module
{
    private readonly Linear q, k, v, proj;
    private readonly int heads, dim;
    private readonly double scale;

    public QueryAttention(string name, int dim, int heads) : base(name)
    {
        this.heads = heads;
        this.dim = dim;
        scale = 1.0 / Math.Sqrt(dim / heads);
        q = nn.Linear(dim, dim);
        k = nn.Linear(dim, dim);
        v = nn.Linear(dim, dim);
        proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? bias)
    {
        long n = query.shape[0], lq = query.shape[1], d = dim / heads;
        var qh = q.call(query).reshape(n, lq, heads, d).transpose(1, 2);   // [N, heads, Lq, d]
        var kh = k.call(key).reshape(n, -1, heads, d).transpose(1, 2);
        var vh = v.call(value).reshape(n, -1, heads, d).transpose(1, 2);
        var scores = qh.matmul(kh.transpose(-2, -1)) * scale;
        if (bias is not null) scores = scores + bias;
        return proj.call(scores.softmax(-1).matmul(vh).transpose(1, 2).reshape(n, lq, dim));
    }

    public OnnxValue ExportOnnx(OnnxGraphBuilder graph, OnnxValue query, OnnxValue key, OnnxValue value, OnnxValue? bias)
    {
        long d = dim / heads;
        var qh = graph.Transpose(graph.Reshape(graph.Module(q, query), 0, -1, heads, d), 0, 2, 1, 3);
        var kh = graph.Transpose(graph.Reshape(graph.Module(k, key), 0, -1, heads, d), 0, 2, 1, 3);
        var vh = graph.Transpose(graph.Reshape(graph.Module(v, value), 0, -1, heads, d), 0, 2, 1, 3);
        var scores = graph.Mul(graph.MatMul(qh, graph.Transpose(kh, 0, 1, 3, 2)), graph.Scalar((float)scale));
        if (bias is { } b) scores = graph.Add(scores, b);
        var attended = graph.MatMul(graph.Softmax(scores, -1), vh);
        return graph.Module(proj, graph.Reshape(graph.Transpose(attended, 0, 2, 1, 3), 0, -1, dim));
    }
}
