using System.Runtime.InteropServices;
using Google.Protobuf;
using SharpSeg.Models.Fusion;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Proto = global::Onnx;

namespace SharpSeg.Models.Onnx;

/// <summary>
/// Writes an ONNX graph (opset <see cref="Opset"/>) from SharpSeg's modules: each module's <c>ExportOnnx</c> mirrors its
/// forward and calls the methods here where the forward calls torch. Shapes stay dynamic (batch, height, width): sizes
/// that the forward reads from tensors (<c>x.shape[2]</c>) are read in the graph with Shape/Gather.
/// </summary>
/// <remarks>
/// <para>Every Conv2d → BatchNorm2d pair is written as one Conv with the weights from <see cref="BatchNormFolding"/>
/// (in a Sequential by position; in blocks by <see cref="Conv(nn.Module, nn.Module?, OnnxValue)"/>).</para>
/// <para>int8 (static QDQ): with a quantisation plan, every tensor a Conv reads gets QuantizeLinear → DequantizeLinear
/// (uint8, scale and zero point from calibrated min/max), Conv weights are stored int8 per output channel and the bias
/// int32, and each Conv output (after a directly following ReLU/ReLU6) is quantised before its next consumer, so ONNX
/// Runtime fuses the groups into QLinearConv. In calibration mode the same tensors are recorded instead (as extra graph
/// outputs), so both passes see identical tensor names.</para>
/// </remarks>
public sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX opset the graph is written for.</summary>
    public const int Opset = 17;

    readonly Proto.GraphProto _graph = new() { Name = "sharpseg" };
    readonly Dictionary<nn.Module, string> _paths;
    readonly Int8Plan? _int8;
    readonly HashSet<string> _pendingQuantization = new(StringComparer.Ordinal);
    readonly Dictionary<string, OnnxValue> _dequantized = new(StringComparer.Ordinal);
    readonly Dictionary<(string, long), OnnxValue> _int64Constants = new();
    int _counter;

    /// <param name="root">The module being exported (its module paths name unsupported modules in errors).</param>
    /// <param name="int8">Calibration or quantisation plan; null for a float32 graph.</param>
    internal OnnxGraphBuilder(nn.Module root, Int8Plan? int8 = null)
    {
        _paths = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, module) in root.named_modules()) _paths.TryAdd(module, name.Length == 0 ? "(model)" : name);
        _int8 = int8;
    }

    /// <summary>The graph written so far.</summary>
    internal Proto.GraphProto Graph => _graph;

    /// <summary>Declares a float32 graph input <c>[dims]</c>; a string dimension is dynamic (named), a number fixed.</summary>
    public OnnxValue Input(string name, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, Proto.TensorProto.Types.DataType.Float, dims));
        return new OnnxValue(name);
    }

    /// <summary>Declares <paramref name="value"/> as a graph output named <paramref name="name"/> (an Identity node renames it).</summary>
    public OnnxValue Output(OnnxValue value, string name, Proto.TensorProto.Types.DataType type, params object[] dims)
    {
        value = Use(value);
        AddNode("Identity", [value], [name]);
        _graph.Output.Add(ValueInfo(name, type, dims));
        return new OnnxValue(name);
    }

    // ---------------------------------------------------------------- modules

    /// <summary><c>module.call(x)</c>: a SharpSeg module (<see cref="IOnnxExportable"/>), a Sequential (Conv2d followed by
    /// BatchNorm2d written as one folded Conv) or a supported torch layer. Anything else is a
    /// <see cref="SharpSegException"/> naming the module.</summary>
    public OnnxValue Module(nn.Module module, OnnxValue x)
    {
        ArgumentNullException.ThrowIfNull(module);
        switch (module)
        {
            case IOnnxExportable e: return e.ExportOnnx(this, x);
            case Sequential s:
                for (int i = 0; i < s.Count; i++)
                {
                    var child = (nn.Module)s[i];
                    if (child is Conv2d && i + 1 < s.Count && s[i + 1] is BatchNorm2d bn) { x = Conv(child, bn, x); i++; }
                    else x = Module(child, x);
                }
                return x;
            case Conv2d conv: return Conv(conv, null, x);
            case ConvTranspose2d convT: return ConvTranspose(convT, x);
            case BatchNorm2d bn: return BatchNorm(bn, x);
            case ReLU: return Relu(x);
            case ReLU6: return Clip(x, 0, 6);
            case Hardswish: return Node("HardSwish", [Use(x)]);
            case Hardsigmoid: return Node("HardSigmoid", [Use(x)], ("alpha", 1f / 6), ("beta", 0.5f));
            case TorchSharp.Modules.Sigmoid: return Sigmoid(x);
            case SiLU: return Mul(x, Sigmoid(x));
            case GELU gelu: return Gelu(x, gelu.approximate.ToString() == "tanh");
            case MaxPool2d pool: return MaxPool(pool, x);
            case AdaptiveAvgPool2d pool: return AdaptiveAveragePool(x, pool.output_size[0], pool.output_size.Length > 1 ? pool.output_size[1] : pool.output_size[0]);
            case Dropout or Dropout2d or Identity: return x;
            case GroupNorm gn: return GroupNorm(gn, x);
            case LayerNorm ln: return LayerNorm(ln, x);
            case Linear linear: return Linear(linear, x);
            default: throw Unsupported(module);
        }
    }

    /// <summary>The error for a module with no ONNX emitter, naming it by its path in the model.</summary>
    public SharpSegException Unsupported(nn.Module module, string? detail = null) =>
        new($"cannot export to ONNX: module '{PathOf(module)}' ({module.GetType().Name}) has no ONNX emitter{(detail is null ? "" : $" ({detail})")}; " +
            "add an ExportOnnx method mirroring its forward (see docs/INFERENCE.md).");

    string PathOf(nn.Module module) => _paths.TryGetValue(module, out var p) ? p : module.GetName();

    /// <summary>A Conv2d, optionally followed by an eval-mode BatchNorm2d folded into it (<see cref="BatchNormFolding"/>).
    /// <paramref name="bn"/> may also be an identity (a model already folded) or null.</summary>
    public OnnxValue Conv(nn.Module conv, nn.Module? bn, OnnxValue x)
    {
        if (conv is not Conv2d c) throw Unsupported(conv, "expected a Conv2d");
        if (c.padding_mode != PaddingModes.Zeros) throw Unsupported(conv, $"padding mode {c.padding_mode}");
        if (c.padding_type is not null && c.padding_type != Padding.Valid) throw Unsupported(conv, "padding 'same'");
        Tensor weight; Tensor? bias;
        if (bn is BatchNorm2d norm) (weight, bias) = BatchNormFolding.Fold(c, norm);
        else if (bn is null or Identity) { weight = c.weight!.detach(); bias = c.bias?.detach(); }
        else throw Unsupported(bn, "expected a BatchNorm2d after the Conv2d");
        string name = NewName("conv");
        var attrs = new (string, object)[]
        {
            ("kernel_shape", c.kernel_size), ("strides", c.stride), ("dilations", c.dilation), ("group", c.groups),
            ("pads", Pads(c.padding)),
        };
        if (_int8 is { Calibrating: false })
        {
            var input = QuantizeActivation(x);
            var (inScale, _) = _int8.Parameters(x.Name);
            var (wq, wScale) = QuantizeWeight(weight, name + "_weight");
            var inputs = new List<OnnxValue> { input, wq };
            if (bias is not null) inputs.Add(QuantizeBias(bias, inScale, wScale, name + "_bias"));
            var y = Node("Conv", inputs.ToArray(), name, attrs);
            _pendingQuantization.Add(y.Name);
            return y;
        }
        else
        {
            var input = QuantizeActivation(x);
            var inputs = new List<OnnxValue> { input, Initializer(weight, name + "_weight") };
            if (bias is not null) inputs.Add(Initializer(bias, name + "_bias"));
            var y = Node("Conv", inputs.ToArray(), name, attrs);
            if (_int8 is not null) _pendingQuantization.Add(y.Name);
            return y;
        }
    }

    /// <summary>ConvTranspose2d (kept float32 in int8 graphs).</summary>
    public OnnxValue ConvTranspose(ConvTranspose2d conv, OnnxValue x)
    {
        if (conv.padding_mode != PaddingModes.Zeros) throw Unsupported(conv, $"padding mode {conv.padding_mode}");
        string name = NewName("convtranspose");
        var inputs = new List<OnnxValue> { Use(x), Initializer(conv.weight!, name + "_weight") };
        if (conv.bias is not null) inputs.Add(Initializer(conv.bias, name + "_bias"));
        return Node("ConvTranspose", inputs.ToArray(), name,
            ("kernel_shape", conv.kernel_size), ("strides", conv.stride), ("dilations", conv.dilation), ("group", conv.groups),
            ("pads", Pads(conv.padding)), ("output_padding", conv.output_padding ?? [0, 0]));
    }

    /// <summary>ONNX pads [top, left, bottom, right] from torch's symmetric [ph, pw].</summary>
    static long[] Pads(long[]? padding) => padding is null ? [0, 0, 0, 0] : [padding[0], padding[1], padding[0], padding[1]];

    /// <summary>An eval-mode BatchNorm2d that does not follow a convolution.</summary>
    public OnnxValue BatchNorm(BatchNorm2d bn, OnnxValue x)
    {
        string name = NewName("batchnorm");
        long c = bn.num_features;
        var gamma = bn.affine ? bn.weight!.detach() : torch.ones(c);
        var beta = bn.affine ? bn.bias!.detach() : torch.zeros(c);
        if (bn.running_mean is null || bn.running_var is null) throw Unsupported(bn, "no running statistics");
        return Node("BatchNormalization",
            [Use(x), Initializer(gamma, name + "_scale"), Initializer(beta, name + "_bias"), Initializer(bn.running_mean, name + "_mean"), Initializer(bn.running_var, name + "_var")],
            name, ("epsilon", (float)bn.eps));
    }

    /// <summary>Linear layer on the last axis: <c>x @ Wᵀ + b</c>.</summary>
    public OnnxValue Linear(Linear linear, OnnxValue x)
    {
        string name = NewName("linear");
        var y = MatMul(x, Initializer(linear.weight!.detach().t(), name + "_weight"));
        return linear.bias is null ? y : Add(y, Initializer(linear.bias, name + "_bias"));
    }

    /// <summary>LayerNorm over the last <c>normalized_shape.Length</c> axes (ONNX LayerNormalization).</summary>
    public OnnxValue LayerNorm(LayerNorm ln, OnnxValue x)
    {
        string name = NewName("layernorm");
        var shape = ln.normalized_shape;
        var scale = ln.weight is null ? torch.ones(shape) : ln.weight.detach();
        var bias = ln.bias is null ? torch.zeros(shape) : ln.bias.detach();
        return Node("LayerNormalization", [Use(x), Initializer(scale, name + "_scale"), Initializer(bias, name + "_bias")], name,
            ("axis", (long)-shape.Length), ("epsilon", (float)ln.eps));
    }

    /// <summary>GroupNorm as torch.onnx writes it for opsets before 18: InstanceNormalization over <c>[N, G, C/G·H·W]</c>,
    /// then the per-channel affine transform.</summary>
    public OnnxValue GroupNorm(GroupNorm gn, OnnxValue x)
    {
        string name = NewName("groupnorm");
        long g = gn.num_groups;
        x = Use(x);
        var grouped = Reshape(x, Int64Constant([0, g, -1], name + "_groups"));
        var normed = Node("InstanceNormalization", [grouped, Initializer(torch.ones(g), name + "_ones"), Initializer(torch.zeros(g), name + "_zeros")],
            name + "_instancenorm", ("epsilon", (float)gn.eps));
        var y = Reshape(normed, Shape(x));
        if (!gn.affine) return y;
        long c = gn.weight!.shape[0];
        y = Mul(y, Initializer(gn.weight.detach().reshape(c, 1, 1), name + "_weight"));
        return Add(y, Initializer(gn.bias!.detach().reshape(c, 1, 1), name + "_bias"));
    }

    // ---------------------------------------------------------------- element-wise

    /// <summary>ReLU. In int8 graphs a pending quantisation of a Conv output moves to the ReLU's output (ONNX Runtime
    /// folds the ReLU into the quantisation).</summary>
    public OnnxValue Relu(OnnxValue x) => Activation("Relu", x);

    /// <summary>Clamp to [min, max] (ReLU6 is <c>Clip(x, 0, 6)</c>).</summary>
    public OnnxValue Clip(OnnxValue x, float min, float max) =>
        Activation("Clip", x, Initializer(torch.tensor(min), NewName("clip_min")), Initializer(torch.tensor(max), NewName("clip_max")));

    OnnxValue Activation(string op, OnnxValue x, params OnnxValue[] extra)
    {
        bool pending = _pendingQuantization.Contains(x.Name);
        var y = Node(op, [pending ? x : Use(x), .. extra]);
        if (pending) _pendingQuantization.Add(y.Name);
        return y;
    }

    /// <summary>Logistic sigmoid.</summary>
    public OnnxValue Sigmoid(OnnxValue x) => Node("Sigmoid", [Use(x)]);

    /// <summary>GELU: <c>0.5·x·(1 + erf(x/√2))</c>, or the tanh approximation.</summary>
    public OnnxValue Gelu(OnnxValue x, bool tanhApproximation = false)
    {
        x = Use(x);
        OnnxValue inner;
        if (tanhApproximation)
        {
            var cube = Mul(Mul(x, x), x);
            var poly = Add(x, Mul(cube, Scalar(0.044715f)));
            inner = Node("Tanh", [Mul(poly, Scalar((float)Math.Sqrt(2 / Math.PI)))]);
        }
        else inner = Node("Erf", [Mul(x, Scalar((float)(1 / Math.Sqrt(2))))]);
        return Mul(Mul(x, Scalar(0.5f)), Add(inner, Scalar(1f)));
    }

    /// <summary><c>a + b</c> (broadcasting).</summary>
    public OnnxValue Add(OnnxValue a, OnnxValue b) => Node("Add", [Use(a), Use(b)]);

    /// <summary><c>a − b</c> (broadcasting).</summary>
    public OnnxValue Sub(OnnxValue a, OnnxValue b) => Node("Sub", [Use(a), Use(b)]);

    /// <summary><c>a · b</c> (broadcasting).</summary>
    public OnnxValue Mul(OnnxValue a, OnnxValue b) => Node("Mul", [Use(a), Use(b)]);

    /// <summary><c>a / b</c> (broadcasting).</summary>
    public OnnxValue Div(OnnxValue a, OnnxValue b) => Node("Div", [Use(a), Use(b)]);

    /// <summary>Matrix product with numpy broadcasting (attention, linear layers).</summary>
    public OnnxValue MatMul(OnnxValue a, OnnxValue b) => Node("MatMul", [Use(a), Use(b)]);

    /// <summary>Softmax along <paramref name="axis"/>.</summary>
    public OnnxValue Softmax(OnnxValue x, long axis) => Node("Softmax", [Use(x)], ("axis", axis));

    /// <summary>Axis permutation.</summary>
    public OnnxValue Transpose(OnnxValue x, params long[] perm) => Node("Transpose", [Use(x)], ("perm", perm));

    /// <summary>Reshape to <paramref name="shape"/> (an int64 1-D value; 0 keeps a dimension, −1 infers one).</summary>
    public OnnxValue Reshape(OnnxValue x, OnnxValue shape) => Node("Reshape", [Use(x), shape]);

    /// <summary>Reshape to constant dimensions (0 keeps the input's dimension there, −1 infers one), e.g.
    /// <c>Reshape(x, 0, -1, heads, d)</c> for torch's <c>x.reshape(b, h * w, heads, d)</c> with dynamic b, h, w.</summary>
    public OnnxValue Reshape(OnnxValue x, params long[] shape) => Reshape(x, Int64Constant(shape, NewName("shape")));

    /// <summary><c>x[index]</c> along <paramref name="axis"/>, removing that axis (torch's integer indexing, e.g.
    /// <c>keyValue[0]</c>).</summary>
    public OnnxValue Take(OnnxValue x, long index, long axis = 0) =>
        Node("Gather", [Use(x), Int64Constant([index], NewName("index"), [])], ("axis", axis));

    /// <summary>Scaled dot-product attention as torch's plain path computes it, <c>softmax(q·kᵀ·scale, −1)·v</c>, on
    /// <c>[B, heads, N, d]</c> queries and <c>[B, heads, M, d]</c> keys and values → <c>[B, heads, N, d]</c>.</summary>
    public OnnxValue Attention(OnnxValue query, OnnxValue key, OnnxValue value, float scale)
    {
        var scores = Mul(MatMul(query, Transpose(key, 0, 1, 3, 2)), Scalar(scale));
        return MatMul(Softmax(scores, -1), value);
    }

    /// <summary>Concatenation along <paramref name="axis"/> (1: channels).</summary>
    public OnnxValue Concat(IReadOnlyList<OnnxValue> values, long axis = 1) => values.Count == 1 ? values[0] : Node("Concat", values.Select(Use).ToArray(), ("axis", axis));

    /// <summary>Class index per pixel: <c>[N, C, H, W] → [N, H, W]</c> int64 (first maximum on ties, as torch).</summary>
    public OnnxValue ArgMax(OnnxValue x, long axis = 1) => Node("ArgMax", [Use(x)], ("axis", axis), ("keepdims", 0L), ("select_last_index", 0L));

    // ---------------------------------------------------------------- pooling and resizing

    /// <summary>MaxPool2d.</summary>
    public OnnxValue MaxPool(MaxPool2d pool, OnnxValue x)
    {
        long[] k = pool.kernel_size, s = pool.stride ?? pool.kernel_size, p = pool.padding ?? [0, 0], d = pool.dilation ?? [1, 1];
        return Node("MaxPool", [Use(x)], ("kernel_shape", k), ("strides", s), ("pads", new[] { p[0], p[1], p[0], p[1] }), ("dilations", d),
            ("ceil_mode", pool.ceil_mode ? 1L : 0L));
    }

    /// <summary>
    /// adaptive_avg_pool2d to <paramref name="outH"/>×<paramref name="outW"/> for any input size: GlobalAveragePool for
    /// 1×1; otherwise torch's bins (start ⌊i·H/b⌋, end ⌈(i+1)·H/b⌉) as averaging matrices built in the graph from the
    /// input's shape, <c>P_h · x · P_wᵀ</c> (exact, and cheap at the deep strides where PSPNet and UPerNet pool).
    /// </summary>
    public OnnxValue AdaptiveAveragePool(OnnxValue x, long outH, long outW)
    {
        x = Use(x);
        if (outH == 1 && outW == 1) return Node("GlobalAveragePool", [x]);
        var shape = Shape(x);
        var ph = PoolingMatrix(Gather(shape, 2), outH);   // [outH, H]
        var pw = PoolingMatrix(Gather(shape, 3), outW);   // [outW, W]
        var rows = MatMul(x, Transpose(pw, 1, 0));        // [N, C, H, outW]
        return MatMul(ph, rows);                          // [N, C, outH, outW]
    }

    /// <summary>[bins, length] averaging matrix of adaptive pooling over a dynamic <paramref name="length"/> (int64 [1]).</summary>
    OnnxValue PoolingMatrix(OnnxValue length, long bins)
    {
        string name = NewName("adaptive_bins");
        var index = Int64Constant(Enumerable.Range(0, (int)bins).Select(i => (long)i).ToArray(), name + "_index", [bins, 1]);
        var b = Int64Constant([bins], name + "_count");
        var start = Node("Div", [Node("Mul", [index, length]), b]);                                              // ⌊i·L/b⌋
        var end = Node("Div", [Node("Add", [Node("Mul", [Node("Add", [index, Int64Constant([1], name + "_one")]), length]), Int64Constant([bins - 1], name + "_round")]), b]); // ⌈(i+1)·L/b⌉
        var scalarLength = Node("Squeeze", [length, Int64Constant([0], name + "_axis")]);
        var positions = Node("Range", [Int64Constant([0], name + "_zero", []), scalarLength, Int64Constant([1], name + "_step", [])]); // [L]
        var inside = Node("And", [Node("GreaterOrEqual", [positions, start]), Node("Less", [positions, end])]);  // [bins, L]
        var weights = Node("Cast", [inside], ("to", (long)Proto.TensorProto.Types.DataType.Float));
        var count = Node("Cast", [Node("Sub", [end, start])], ("to", (long)Proto.TensorProto.Types.DataType.Float));
        return Node("Div", [weights, count]);
    }

    /// <summary>Bilinear (or nearest) resize of <paramref name="x"/> to the spatial size of <paramref name="like"/>, as
    /// <c>interpolate(x, size: like.shape[2..])</c>: bilinear with align_corners=false is ONNX's half_pixel (torch's
    /// source index, clamped at 0), align_corners=true is align_corners, nearest is asymmetric + floor.</summary>
    public OnnxValue ResizeLike(OnnxValue x, OnnxValue like, Interpolation mode = Interpolation.Bilinear, bool alignCorners = false) =>
        Resize(x, Slice(Shape(like), 2, 4), mode, alignCorners);

    /// <summary>Resize by an integer factor (<c>size = x.shape[2..] · factor</c>).</summary>
    public OnnxValue ResizeBy(OnnxValue x, long factor, Interpolation mode = Interpolation.Bilinear, bool alignCorners = false)
    {
        x = Use(x);
        return Resize(x, Node("Mul", [Slice(Shape(x), 2, 4), Int64Constant([factor], NewName("factor"))]), mode, alignCorners);
    }

    /// <summary>Resize to a fixed <paramref name="height"/>×<paramref name="width"/> (<c>interpolate(x, size: [h, w])</c>).</summary>
    public OnnxValue ResizeTo(OnnxValue x, long height, long width, Interpolation mode = Interpolation.Bilinear, bool alignCorners = false) =>
        Resize(x, Int64Constant([height, width], NewName("size")), mode, alignCorners);

    /// <summary>Constant padding of the last two axes, given in torch's <c>F.pad</c> order (left, right, top, bottom).</summary>
    public OnnxValue Pad(OnnxValue x, long[] leftRightTopBottom, float value = 0)
    {
        var p = leftRightTopBottom;
        var pads = Int64Constant([0, 0, p[2], p[0], 0, 0, p[3], p[1]], NewName("pads"));
        return Node("Pad", [Use(x), pads, Scalar(value)], ("mode", "constant"));
    }

    OnnxValue Resize(OnnxValue x, OnnxValue spatialSize, Interpolation mode, bool alignCorners)
    {
        x = Use(x);
        var sizes = Node("Concat", [Slice(Shape(x), 0, 2), spatialSize], ("axis", 0L));
        string coordinates = mode == Interpolation.Nearest ? "asymmetric" : alignCorners ? "align_corners" : "half_pixel";
        var attrs = new List<(string, object)> { ("mode", mode == Interpolation.Nearest ? "nearest" : "linear"), ("coordinate_transformation_mode", coordinates) };
        if (mode == Interpolation.Nearest) attrs.Add(("nearest_mode", "floor"));
        return Node("Resize", [x, new OnnxValue(""), new OnnxValue(""), sizes], attrs.ToArray());
    }

    /// <summary>Interpolation of <see cref="ResizeLike"/> and <see cref="ResizeBy"/>.</summary>
    public enum Interpolation { Bilinear, Nearest }

    // ---------------------------------------------------------------- input padding and cropping

    /// <summary>
    /// SegmentationModel's padding of <c>[N, C, H, W]</c> at the bottom/right up to multiples of <paramref name="stride"/>.
    /// Reflection falls back to edge replication when the padding is not smaller than the image (as the forward does):
    /// an ONNX If picks the branch at run time.
    /// </summary>
    public OnnxValue PadToMultiple(OnnxValue x, int stride, InputPadding padding)
    {
        x = Use(x);
        string name = NewName("pad");
        var spatial = Slice(Shape(x), 2, 4);                                     // [H, W]
        var s = Int64Constant([stride], name + "_stride");
        var amount = Node("Mod", [Node("Sub", [s, Node("Mod", [spatial, s])]), s]); // [ph, pw]
        var pads = Node("Concat", [Int64Constant([0, 0, 0, 0, 0, 0], name + "_zeros"), amount], ("axis", 0L)); // begin N,C,H,W; end N,C then H,W
        switch (padding)
        {
            case InputPadding.Zeros: return Node("Pad", [x, pads], ("mode", "constant"));
            case InputPadding.Replicate: return Node("Pad", [x, pads], ("mode", "edge"));
            default:
                var fits = Node("ReduceMin", [Node("Cast", [Node("Less", [amount, spatial])], ("to", (long)Proto.TensorProto.Types.DataType.Int64))], ("keepdims", 0L));
                var cond = Node("Cast", [fits], ("to", (long)Proto.TensorProto.Types.DataType.Bool));
                string output = NewName("pad_out");
                var reflect = Branch(name + "_reflect", "Pad", [x.Name, pads.Name], output + "_r", ("mode", "reflect"));
                var edge = Branch(name + "_edge", "Pad", [x.Name, pads.Name], output + "_e", ("mode", "edge"));
                var node = AddNode("If", [cond], [output], name + "_if");
                node.Attribute.Add(new Proto.AttributeProto { Name = "then_branch", Type = Proto.AttributeProto.Types.AttributeType.Graph, G = reflect });
                node.Attribute.Add(new Proto.AttributeProto { Name = "else_branch", Type = Proto.AttributeProto.Types.AttributeType.Graph, G = edge });
                return new OnnxValue(output);
        }
    }

    /// <summary>A one-node subgraph (for If) reading outer-scope tensors.</summary>
    static Proto.GraphProto Branch(string name, string op, string[] inputs, string output, params (string, object)[] attributes)
    {
        var g = new Proto.GraphProto { Name = name };
        var node = new Proto.NodeProto { OpType = op, Name = name + "_" + op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var a in attributes) node.Attribute.Add(Attribute(a.Item1, a.Item2));
        g.Node.Add(node);
        g.Output.Add(ValueInfo(output, Proto.TensorProto.Types.DataType.Float, null));
        return g;
    }

    /// <summary>An empty map <c>[N, 0, H/stride, W/stride]</c> for <paramref name="x"/> <c>[N, C, H, W]</c>: a stage
    /// without features (the forward's <c>torch.empty([N, 0, H / stride, W / stride])</c>), whose shape decoders may read.</summary>
    public OnnxValue EmptyMap(OnnxValue x, long stride)
    {
        string name = NewName("empty");
        var shape = Shape(x);
        var spatial = Node("Div", [Slice(shape, 2, 4), Int64Constant([stride], name + "_stride")]);
        var dims = Node("Concat", [Slice(shape, 0, 1), Int64Constant([0], name + "_channels"), spatial], ("axis", 0L));
        return Node("ConstantOfShape", [dims]); // float32 zeros by default
    }

    /// <summary><c>x[.., .., :like.H, :like.W]</c>: crops the padded logits back to the input size.</summary>
    public OnnxValue CropLike(OnnxValue x, OnnxValue like)
    {
        string name = NewName("crop");
        return Node("Slice", [Use(x), Int64Constant([0, 0], name + "_starts"), Slice(Shape(like), 2, 4), Int64Constant([2, 3], name + "_axes")]);
    }

    // ---------------------------------------------------------------- shapes

    /// <summary>The shape of <paramref name="x"/> as int64 [rank].</summary>
    public OnnxValue Shape(OnnxValue x) => Node("Shape", [x]);

    /// <summary>Element <paramref name="index"/> of a 1-D int64 value, as int64 [1].</summary>
    public OnnxValue Gather(OnnxValue vector, long index) => Node("Gather", [vector, Int64Constant([index], NewName("index"))], ("axis", 0L));

    /// <summary><c>vector[start:end]</c> of a 1-D value.</summary>
    public OnnxValue Slice(OnnxValue vector, long start, long end)
    {
        string name = NewName("slice");
        return Node("Slice", [vector, Int64Constant([start], name + "_start"), Int64Constant([end], name + "_end"), Int64Constant([0], name + "_axis")]);
    }

    /// <summary>An int64 constant (an initializer; <paramref name="dims"/> default: 1-D).</summary>
    public OnnxValue Int64Constant(long[] values, string? name = null, long[]? dims = null)
    {
        var t = new Proto.TensorProto { Name = name ?? NewName("const"), DataType = (int)Proto.TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims ?? [values.Length]);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        _graph.Initializer.Add(t);
        return new OnnxValue(t.Name);
    }

    /// <summary>A float32 scalar constant.</summary>
    public OnnxValue Scalar(float value) => Initializer(torch.tensor(value), NewName("scalar"));

    /// <summary>Stores a tensor as an initializer (float32 / int64 / int32 / int8 / uint8, copied to the CPU).</summary>
    public OnnxValue Initializer(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = torch.NewDisposeScope();
        var t = tensor.detach().cpu().contiguous();
        var proto = new Proto.TensorProto { Name = name, DataType = (int)DataTypeOf(t.dtype) };
        proto.Dims.AddRange(t.shape);
        proto.RawData = ByteString.CopyFrom(t.bytes);
        _graph.Initializer.Add(proto);
        return new OnnxValue(name);
    }

    static Proto.TensorProto.Types.DataType DataTypeOf(ScalarType t) => t switch
    {
        ScalarType.Float32 => Proto.TensorProto.Types.DataType.Float,
        ScalarType.Int64 => Proto.TensorProto.Types.DataType.Int64,
        ScalarType.Int32 => Proto.TensorProto.Types.DataType.Int32,
        ScalarType.Int8 => Proto.TensorProto.Types.DataType.Int8,
        ScalarType.Byte => Proto.TensorProto.Types.DataType.Uint8,
        _ => throw new SharpSegException($"cannot export a {t} tensor to ONNX."),
    };

    // ---------------------------------------------------------------- int8

    /// <summary>Marks <paramref name="x"/> as staying float32 for its consumers (e.g. the final classifier's logits,
    /// which an int8 graph keeps unquantised).</summary>
    public OnnxValue KeepFloat(OnnxValue x)
    {
        _pendingQuantization.Remove(x.Name);
        return x;
    }

    /// <summary>A value about to be consumed by a non-activation op: a pending Conv output is quantised first.</summary>
    OnnxValue Use(OnnxValue x) => x.Name.Length > 0 && _pendingQuantization.Contains(x.Name) ? QuantizeActivation(x) : x;

    /// <summary>QuantizeLinear → DequantizeLinear on an activation (once per tensor); in calibration mode the tensor is
    /// recorded as a calibration point instead; without a plan, the value itself.</summary>
    OnnxValue QuantizeActivation(OnnxValue x)
    {
        if (_int8 is null) return x;
        if (_dequantized.TryGetValue(x.Name, out var done)) return done;
        OnnxValue result;
        if (_int8.Calibrating) { _int8.Record(x.Name); result = x; }
        else
        {
            var (scale, zeroPoint) = _int8.Parameters(x.Name);
            var s = Initializer(torch.tensor(scale), x.Name + "_scale");
            var zp = Initializer(torch.tensor(zeroPoint, dtype: ScalarType.Byte), x.Name + "_zero_point");
            var q = Node("QuantizeLinear", [x, s, zp], x.Name + "_quantized");
            result = Node("DequantizeLinear", [q, s, zp], x.Name + "_dequantized");
        }
        _dequantized[x.Name] = result;
        return result;
    }

    /// <summary>Symmetric per-output-channel int8 weights (scale = max|w|/127) and their DequantizeLinear.</summary>
    (OnnxValue Value, Tensor Scale) QuantizeWeight(Tensor weight, string name)
    {
        long o = weight.shape[0];
        var w = weight.detach().cpu().to(ScalarType.Float32);
        var scale = w.reshape(o, -1).abs().amax([1]).div(127.0);
        scale = torch.where(scale.gt(0), scale, torch.ones_like(scale));
        var q = w.div(scale.reshape(o, 1, 1, 1)).round().clamp(-127, 127).to(ScalarType.Int8);
        var value = Node("DequantizeLinear", [Initializer(q, name + "_quantized"), Initializer(scale, name + "_scale"),
            Initializer(torch.zeros(o, dtype: ScalarType.Int8), name + "_zero_point")], name + "_dequantized", ("axis", 0L));
        return (value, scale);
    }

    /// <summary>int32 bias with scale input-scale × weight-scale per channel, as ONNX Runtime's QLinearConv needs.</summary>
    OnnxValue QuantizeBias(Tensor bias, float inputScale, Tensor weightScale, string name)
    {
        var scale = weightScale.mul(inputScale).to(ScalarType.Float32);
        var q = bias.detach().cpu().to(ScalarType.Float64).div(scale.to(ScalarType.Float64)).round().clamp(int.MinValue, int.MaxValue).to(ScalarType.Int32);
        return Node("DequantizeLinear", [Initializer(q, name + "_quantized"), Initializer(scale, name + "_scale"),
            Initializer(torch.zeros(bias.shape[0], dtype: ScalarType.Int32), name + "_zero_point")], name + "_dequantized", ("axis", 0L));
    }

    // ---------------------------------------------------------------- nodes

    /// <summary>A fresh tensor/node name.</summary>
    public string NewName(string hint) => $"{hint}_{_counter++}";

    /// <summary>Adds a node with one output (named after the op) and returns that output.</summary>
    public OnnxValue Node(string op, OnnxValue[] inputs, params (string Name, object Value)[] attributes) => Node(op, inputs, NewName(op.ToLowerInvariant()), attributes);

    OnnxValue Node(string op, OnnxValue[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = AddNode(op, inputs, [output], output);
        foreach (var (name, value) in attributes) node.Attribute.Add(Attribute(name, value));
        return new OnnxValue(output);
    }

    Proto.NodeProto AddNode(string op, OnnxValue[] inputs, string[] outputs, string? name = null)
    {
        var node = new Proto.NodeProto { OpType = op, Name = name ?? outputs[0] };
        node.Input.AddRange(inputs.Select(i => i.Name));
        node.Output.AddRange(outputs);
        _graph.Node.Add(node);
        return node;
    }

    static Proto.AttributeProto Attribute(string name, object value)
    {
        var a = new Proto.AttributeProto { Name = name };
        switch (value)
        {
            case long l: a.Type = Proto.AttributeProto.Types.AttributeType.Int; a.I = l; break;
            case int i: a.Type = Proto.AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case float f: a.Type = Proto.AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case string s: a.Type = Proto.AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: a.Type = Proto.AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
            case int[] iss: a.Type = Proto.AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(iss.Select(v => (long)v)); break;
            case float[] fs: a.Type = Proto.AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
            default: throw new ArgumentException($"unsupported attribute type {value.GetType().Name} for {name}");
        }
        return a;
    }

    internal static Proto.ValueInfoProto ValueInfo(string name, Proto.TensorProto.Types.DataType type, object[]? dims)
    {
        var tensor = new Proto.TypeProto.Types.Tensor { ElemType = (int)type };
        if (dims is not null)
        {
            tensor.Shape = new Proto.TensorShapeProto();
            foreach (var d in dims)
                tensor.Shape.Dim.Add(d is string s ? new Proto.TensorShapeProto.Types.Dimension { DimParam = s } : new Proto.TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        }
        return new Proto.ValueInfoProto { Name = name, Type = new Proto.TypeProto { TensorType = tensor } };
    }
}
