using SharpSeg.Models.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpSeg.TfLite;

/// <summary>What the last operator of an imported graph gives, and so how <see cref="TfLiteNetwork"/> turns it into logits.</summary>
public enum TfLiteOutputKind
{
    /// <summary>One channel through LOGISTIC: the probability p of the foreground; classes [background, foreground].</summary>
    BinaryProbability,
    /// <summary>K channels through SOFTMAX: class probabilities.</summary>
    Probabilities,
    /// <summary>Raw scores: K ≥ 2 channels are class logits; one channel is the foreground logit.</summary>
    Logits,
}

/// <summary>
/// A TFLite graph (<see cref="TfLiteModel"/>) rebuilt in TorchSharp: every convolution a real <c>Conv2d</c> /
/// <c>ConvTranspose2d</c> with the file's weights (float16 weights widened, NHWC kernels transposed to NCHW), the other
/// operators run as torch functions in the file's order, all in NCHW. It keeps SharpSeg's model contract: a normalised
/// batch <c>[N, C, H, W]</c> of any size in, class logits <c>[N, K, H, W]</c> of the same size out. Inside, the batch is
/// resized (bilinear, half-pixel centres) to the graph's fixed input size, as MediaPipe's ImageToTensorCalculator does,
/// and the graph's output is resized back; probabilities are resized before they become logits (log p), so
/// <c>softmax(logits)</c> is exactly the resized probability map, as MediaPipe resizes its mask.
/// </summary>
/// <remarks>
/// Operators: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV and MediaPipe's custom Convolution2DTransposeBias, ADD, SUB,
/// MUL, DIV, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN (keep_dims over H/W), CONCATENATION, PAD, RESIZE_BILINEAR,
/// RESIZE_NEAREST_NEIGHBOR, LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH, SOFTMAX (over channels), and
/// DEQUANTIZE of constants (folded at import); fused activations of each. Any other operator, quantised (int8/uint8)
/// tensors, or a graph that is not one NHWC image in and one out is a one-line <see cref="SharpSegException"/> naming the
/// file and the operator.
/// </remarks>
public sealed class TfLiteNetwork : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>The operators the importer rebuilds.</summary>
    public static IReadOnlyList<string> SupportedOperators { get; } =
    [
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "Convolution2DTransposeBias", "DEPTHWISE_CONV_2D", "DEQUANTIZE", "DIV",
        "HARD_SWISH", "LEAKY_RELU", "LOGISTIC", "MAX_POOL_2D", "MEAN", "MUL", "PAD", "RELU", "RELU6", "RELU_N1_TO_1", "RESIZE_BILINEAR",
        "RESIZE_NEAREST_NEIGHBOR", "SOFTMAX", "SUB", "TANH", "TRANSPOSE_CONV",
    ];

    enum Kind { Conv, ConvTranspose, Add, Sub, Mul, Div, AveragePool, GlobalAveragePool, MaxPool, Mean, Concat, Pad, Resize, Logistic, Tanh, Relu, Relu6, ReluN1To1, LeakyRelu, HardSwish, Softmax }

    sealed record Step(Kind Kind, int[] Inputs, int Output, string Name)
    {
        public int Module { get; init; } = -1;
        public long[] Pads { get; init; } = [];       // left, right, top, bottom (torch's F.pad order for the last two dims)
        public float PadValue { get; init; }
        public TfLiteActivation Activation { get; init; }
        public long[] Size { get; init; } = [];       // pool kernel / resize target (h, w)
        public long[] Stride { get; init; } = [];
        public bool AlignCorners { get; init; }
        public bool Nearest { get; init; }
        public long Axis { get; init; }
        public long[] Axes { get; init; } = [];
        public float Alpha { get; init; }
    }

    readonly ModuleList<nn.Module<Tensor, Tensor>> convs = new();
    readonly Dictionary<int, Tensor> _constants = new();
    readonly List<Step> _steps = new();
    readonly int _input, _output;
    readonly int[] _lastUse;

    /// <summary>Rebuilds <paramref name="model"/>; throws a one-line <see cref="SharpSegException"/> on what it cannot.</summary>
    public TfLiteNetwork(TfLiteModel model) : base(nameof(TfLiteNetwork))
    {
        Engine.TorchRuntime.EnsureConfigured(); // as SegmentationModel: the kernel check before any computation
        Source = model;
        string file = model.Path;
        if (model.Inputs.Length != 1 || model.Outputs.Length != 1)
            throw new SharpSegException($"{file}: the TFLite graph has {model.Inputs.Length} inputs and {model.Outputs.Length} outputs; SharpSeg imports segmentation models with one image in and one map out.");
        var input = model.Tensors[model.Inputs[0]];
        var output = model.Tensors[model.Outputs[0]];
        if (input.Shape.Length != 4 || input.Shape[0] != 1 || input.Type != TfLiteType.Float32 || input.Shape[3] is not (1 or 3))
            throw new SharpSegException($"{file}: the graph input {input} is not a float32 image [1, H, W, 1 or 3]{(input.Type != TfLiteType.Float32 ? " (quantised models are not supported; use the float model)" : "")}.");
        if (output.Shape.Length != 4 || output.Type != TfLiteType.Float32)
            throw new SharpSegException($"{file}: the graph output {output} is not a float32 map [1, H, W, classes].");
        _input = input.Index; _output = output.Index;
        InputHeight = input.Shape[1]; InputWidth = input.Shape[2]; InChannels = input.Shape[3];

        var floats = new Dictionary<int, float[]>();
        foreach (var t in model.Tensors) if (t.Floats is { } f) floats[t.Index] = f;
        foreach (var op in model.Operators) Build(model, op, floats);

        int channels = output.Shape[3];
        var last = model.Operators.LastOrDefault(o => o.Outputs.Contains(_output));
        OutputKind = last?.Name switch
        {
            "LOGISTIC" when channels == 1 => TfLiteOutputKind.BinaryProbability,
            "SOFTMAX" when channels >= 2 => TfLiteOutputKind.Probabilities,
            _ => TfLiteOutputKind.Logits,
        };
        NumClasses = channels == 1 ? 2 : channels;
        _lastUse = new int[model.Tensors.Count];
        Array.Fill(_lastUse, -1);
        for (int s = 0; s < _steps.Count; s++) foreach (int i in _steps[s].Inputs) _lastUse[i] = s;
        foreach (var (index, tensor) in _constants) register_buffer(ConstantName(index), tensor);
        RegisterComponents();
        eval();
    }

    /// <summary>The model it was built from.</summary>
    public TfLiteModel Source { get; }

    /// <summary>The graph's fixed input size; inputs of another size are resized to it.</summary>
    public int InputHeight { get; }
    public int InputWidth { get; }

    /// <summary>Image channels the graph takes (1 or 3).</summary>
    public int InChannels { get; }

    /// <summary>Logit channels out: 2 (background, foreground) for a one-channel output, else the output's channels.</summary>
    public int NumClasses { get; }

    public TfLiteOutputKind OutputKind { get; }

    static string ConstantName(int index) => $"const_{index}";

    /// <summary>A constant operand as the module holds it now (buffers are replaced when the module moves).</summary>
    Tensor Constant(int index) => get_buffer(ConstantName(index)) ?? throw new InvalidOperationException($"constant {index} is not registered");

    SharpSegException Refuse(TfLiteOperator op, string why) =>
        new($"{Source.Path}: cannot import {op}: {why}.");

    static long NchwAxis(int axis, int rank)
    {
        if (axis < 0) axis += rank;
        if (rank != 4) return axis;
        return axis switch { 0 => 0, 1 => 2, 2 => 3, _ => 1 };
    }

    /// <summary>TensorFlow's SAME padding of one axis: (before, after).</summary>
    static (long Before, long After) SamePadding(long input, long kernel, long stride, long dilation)
    {
        long effective = (kernel - 1) * dilation + 1;
        long output = (input + stride - 1) / stride;
        long total = Math.Max((output - 1) * stride + effective - input, 0);
        return (total / 2, total - total / 2);
    }

    void Build(TfLiteModel model, TfLiteOperator op, Dictionary<int, float[]> floats)
    {
        TfLiteTensor T(int i) => model.Tensors[i];
        foreach (int i in op.Inputs.Concat(op.Outputs))
            if (i >= 0 && T(i).Quantized) throw Refuse(op, $"tensor {T(i)} is quantised; SharpSeg imports float models (float32 or float16 weights)");
        if (op.Outputs.Length != 1) throw Refuse(op, $"it has {op.Outputs.Length} outputs");
        int outIndex = op.Outputs[0];
        var outShape = T(outIndex).Shape;
        var o = op.Options;
        float[] Const(int i) => floats.TryGetValue(i, out var f) ? f : throw Refuse(op, $"input {T(i)} must be a constant");
        bool IsConst(int i) => floats.ContainsKey(i);
        if (op.Name == "DEQUANTIZE")
        {
            if (!IsConst(op.Inputs[0])) throw Refuse(op, "only constant weights can be dequantised (float16 → float32)");
            floats[outIndex] = floats[op.Inputs[0]];
            return;
        }
        if (outShape.Length != 4) throw Refuse(op, $"its output {T(outIndex)} is not 4-D (NHWC); reshaping graphs are not supported");
        int Value(int i)
        {
            if (i < 0) throw Refuse(op, "an optional input is missing");
            if (IsConst(i)) RegisterConstant(T(i), floats[i], op);
            return i;
        }

        switch (op.Name)
        {
            case "CONV_2D":
            case "DEPTHWISE_CONV_2D":
            {
                var x = T(op.Inputs[0]); var w = T(op.Inputs[1]);
                float[] weight = Const(w.Index);
                float[]? bias = op.Inputs.Length > 2 && op.Inputs[2] >= 0 ? Const(op.Inputs[2]) : null;
                int kh = w.Shape[1], kw = w.Shape[2], inC = x.Shape[3], outC = outShape[3];
                bool depthwise = op.Name == "DEPTHWISE_CONV_2D";
                int groups = depthwise ? inC : 1;
                if (depthwise && w.Shape[3] != inC * o.DepthMultiplier) throw Refuse(op, $"kernel {w} does not match {inC} channels × depth multiplier {o.DepthMultiplier}");
                if (!depthwise && w.Shape[3] != inC) throw Refuse(op, $"kernel {w} does not match {inC} input channels (grouped convolutions are not supported)");
                var conv = nn.Conv2d(inC, outC, (kh, kw), stride: (o.StrideH, o.StrideW), dilation: (o.DilationH, o.DilationW), groups: groups, bias: bias is not null);
                using (no_grad())
                {
                    // TFLite: conv [O, KH, KW, I], depthwise [1, KH, KW, C·M]; torch: [O, I/groups, KH, KW].
                    var t = depthwise
                        ? tensor(weight).reshape(kh, kw, outC).permute(2, 0, 1).unsqueeze(1)
                        : tensor(weight).reshape(outC, kh, kw, inC).permute(0, 3, 1, 2);
                    conv.weight!.copy_(t.contiguous());
                    if (bias is not null) conv.bias!.copy_(tensor(bias));
                }
                convs.Add(conv);
                long[] pads = [0, 0, 0, 0];
                if (o.Padding == TfLitePadding.Same)
                {
                    var (top, bottom) = SamePadding(x.Shape[1], kh, o.StrideH, o.DilationH);
                    var (left, right) = SamePadding(x.Shape[2], kw, o.StrideW, o.DilationW);
                    pads = [left, right, top, bottom];
                }
                _steps.Add(new Step(Kind.Conv, [Value(x.Index)], outIndex, op.ToString()) { Module = convs.Count - 1, Pads = pads, Activation = o.Activation });
                return;
            }
            case "TRANSPOSE_CONV":
            case "Convolution2DTransposeBias":
            {
                bool custom = op.Name == "Convolution2DTransposeBias";
                int xi = custom ? op.Inputs[0] : op.Inputs[2], wi = custom ? op.Inputs[1] : op.Inputs[1];
                int bi = custom ? op.Inputs[2] : op.Inputs.Length > 3 ? op.Inputs[3] : -1;
                var x = T(xi); var w = T(wi);
                float[] weight = Const(wi);
                float[]? bias = bi >= 0 ? Const(bi) : null;
                int outC = w.Shape[0], kh = w.Shape[1], kw = w.Shape[2], inC = w.Shape[3];
                long padH = (x.Shape[1] - 1L) * o.StrideH + kh - outShape[1], padW = (x.Shape[2] - 1L) * o.StrideW + kw - outShape[2];
                if (padH < 0 || padW < 0 || padH % 2 != 0 || padW % 2 != 0)
                    throw Refuse(op, $"its padding ({padH}, {padW}) is not symmetric");
                var conv = nn.ConvTranspose2d(inC, outC, (kh, kw), stride: (o.StrideH, o.StrideW), padding: (padH / 2, padW / 2), bias: bias is not null);
                using (no_grad())
                {
                    // TFLite [O, KH, KW, I] → torch ConvTranspose2d [I, O, KH, KW].
                    conv.weight!.copy_(tensor(weight).reshape(outC, kh, kw, inC).permute(3, 0, 1, 2).contiguous());
                    if (bias is not null) conv.bias!.copy_(tensor(bias));
                }
                convs.Add(conv);
                _steps.Add(new Step(Kind.ConvTranspose, [Value(xi)], outIndex, op.ToString()) { Module = convs.Count - 1, Activation = o.Activation });
                return;
            }
            case "ADD" or "SUB" or "MUL" or "DIV":
            {
                var kind = op.Name switch { "ADD" => Kind.Add, "SUB" => Kind.Sub, "MUL" => Kind.Mul, _ => Kind.Div };
                _steps.Add(new Step(kind, [Value(op.Inputs[0]), Value(op.Inputs[1])], outIndex, op.ToString()) { Activation = o.Activation });
                return;
            }
            case "AVERAGE_POOL_2D" or "MAX_POOL_2D":
            {
                var x = T(op.Inputs[0]);
                bool max = op.Name == "MAX_POOL_2D";
                if (!max && outShape[1] == 1 && outShape[2] == 1 && o.FilterH >= x.Shape[1] && o.FilterW >= x.Shape[2] && o.Padding == TfLitePadding.Valid)
                {
                    _steps.Add(new Step(Kind.GlobalAveragePool, [Value(x.Index)], outIndex, op.ToString()) { Activation = o.Activation });
                    return;
                }
                long[] pads = [0, 0, 0, 0];
                if (o.Padding == TfLitePadding.Same)
                {
                    var (top, bottom) = SamePadding(x.Shape[1], o.FilterH, o.StrideH, 1);
                    var (left, right) = SamePadding(x.Shape[2], o.FilterW, o.StrideW, 1);
                    if (!max && (top != bottom || left != right)) throw Refuse(op, "average pooling with uneven SAME padding is not supported");
                    pads = [left, right, top, bottom];
                }
                _steps.Add(new Step(max ? Kind.MaxPool : Kind.AveragePool, [Value(x.Index)], outIndex, op.ToString())
                    { Size = [o.FilterH, o.FilterW], Stride = [o.StrideH, o.StrideW], Pads = pads, Activation = o.Activation, PadValue = max ? float.NegativeInfinity : 0 });
                return;
            }
            case "MEAN":
            {
                var axes = T(op.Inputs[1]).Integers ?? throw Refuse(op, "its axes must be a constant");
                if (!o.KeepDims) throw Refuse(op, "MEAN without keep_dims changes the rank; only keep_dims over height/width is supported");
                var mapped = axes.Select(a => NchwAxis((int)a, 4)).Order().ToArray();
                _steps.Add(new Step(Kind.Mean, [Value(op.Inputs[0])], outIndex, op.ToString()) { Axes = mapped });
                return;
            }
            case "CONCATENATION":
                _steps.Add(new Step(Kind.Concat, op.Inputs.Select(Value).ToArray(), outIndex, op.ToString()) { Axis = NchwAxis(o.Axis, 4), Activation = o.Activation });
                return;
            case "PAD":
            {
                var p = T(op.Inputs[1]).Integers ?? throw Refuse(op, "its paddings must be a constant");
                if (p.Length != 8 || p[0] != 0 || p[1] != 0) throw Refuse(op, "only padding of height, width and channels is supported");
                if (p[6] != 0 || p[7] != 0) throw Refuse(op, "channel padding is not supported");
                _steps.Add(new Step(Kind.Pad, [Value(op.Inputs[0])], outIndex, op.ToString()) { Pads = [p[4], p[5], p[2], p[3]] });
                return;
            }
            case "RESIZE_BILINEAR" or "RESIZE_NEAREST_NEIGHBOR":
            {
                bool nearest = op.Name == "RESIZE_NEAREST_NEIGHBOR";
                if (nearest && (o.AlignCorners || o.HalfPixelCenters)) throw Refuse(op, "only the default nearest-neighbour sampling (no align_corners, no half_pixel_centers) is supported");
                if (!nearest && !o.AlignCorners && !o.HalfPixelCenters)
                    throw Refuse(op, "bilinear resizing without align_corners or half_pixel_centers (TensorFlow 1's legacy sampling) is not supported");
                _steps.Add(new Step(Kind.Resize, [Value(op.Inputs[0])], outIndex, op.ToString()) { Size = [outShape[1], outShape[2]], AlignCorners = o.AlignCorners, Nearest = nearest });
                return;
            }
            case "SOFTMAX":
                if (T(op.Inputs[0]).Shape.Length != 4) throw Refuse(op, "softmax over a non-image tensor");
                _steps.Add(new Step(Kind.Softmax, [Value(op.Inputs[0])], outIndex, op.ToString()));
                return;
            case "LOGISTIC": _steps.Add(new Step(Kind.Logistic, [Value(op.Inputs[0])], outIndex, op.ToString())); return;
            case "TANH": _steps.Add(new Step(Kind.Tanh, [Value(op.Inputs[0])], outIndex, op.ToString())); return;
            case "RELU": _steps.Add(new Step(Kind.Relu, [Value(op.Inputs[0])], outIndex, op.ToString())); return;
            case "RELU6": _steps.Add(new Step(Kind.Relu6, [Value(op.Inputs[0])], outIndex, op.ToString())); return;
            case "RELU_N1_TO_1": _steps.Add(new Step(Kind.ReluN1To1, [Value(op.Inputs[0])], outIndex, op.ToString())); return;
            case "HARD_SWISH": _steps.Add(new Step(Kind.HardSwish, [Value(op.Inputs[0])], outIndex, op.ToString())); return;
            case "LEAKY_RELU": _steps.Add(new Step(Kind.LeakyRelu, [Value(op.Inputs[0])], outIndex, op.ToString()) { Alpha = o.Alpha }); return;
            default:
                throw new SharpSegException($"{Source.Path}: TFLite operator {op} is not supported by SharpSeg's importer (supported: {string.Join(", ", SupportedOperators)}).");
        }
    }

    /// <summary>A constant operand of an elementwise operator, laid out to broadcast against NCHW values.</summary>
    void RegisterConstant(TfLiteTensor t, float[] values, TfLiteOperator op)
    {
        if (_constants.ContainsKey(t.Index)) return;
        var shape = t.Shape;
        Tensor c = tensor(values);
        c = shape.Length switch
        {
            0 => c.reshape(1, 1, 1, 1),
            1 => c.reshape(1, shape[0], 1, 1),                           // broadcast over NHWC's last axis = channels
            4 => c.reshape(shape[0], shape[1], shape[2], shape[3]).permute(0, 3, 1, 2).contiguous(),
            _ => throw Refuse(op, $"constant {t} of rank {shape.Length} cannot be laid out for NCHW"),
        };
        _constants[t.Index] = c;
    }

    static Tensor Activate(Tensor x, TfLiteActivation a) => a switch
    {
        TfLiteActivation.None => x,
        TfLiteActivation.Relu => nn.functional.relu(x),
        TfLiteActivation.Relu6 => nn.functional.relu6(x),
        TfLiteActivation.ReluN1To1 => x.clamp(-1, 1),
        TfLiteActivation.Tanh => x.tanh(),
        _ => throw new SharpSegException($"fused activation {a} is not supported."),
    };

    /// <summary>Runs the graph on its fixed-size input <c>[N, C, InputHeight, InputWidth]</c> and returns its raw output
    /// <c>[N, channels, h, w]</c> (probabilities where the graph ends in LOGISTIC or SOFTMAX).</summary>
    public Tensor Graph(Tensor x)
    {
        var values = new Tensor?[_lastUse.Length];
        values[_input] = x;
        Tensor V(int i) => _constants.ContainsKey(i) ? Constant(i) : values[i] ?? throw new InvalidOperationException($"tensor {i} has no value");
        for (int s = 0; s < _steps.Count; s++)
        {
            var step = _steps[s];
            Tensor a = V(step.Inputs[0]);
            Tensor y = step.Kind switch
            {
                Kind.Conv => ((Conv2d)convs[step.Module]).call(step.Pads.Any(p => p != 0) ? nn.functional.pad(a, step.Pads) : a),
                Kind.ConvTranspose => convs[step.Module].call(a),
                Kind.Add => a + V(step.Inputs[1]),
                Kind.Sub => a - V(step.Inputs[1]),
                Kind.Mul => a * V(step.Inputs[1]),
                Kind.Div => a / V(step.Inputs[1]),
                Kind.GlobalAveragePool => a.mean([2, 3], keepdim: true),
                Kind.AveragePool => nn.functional.avg_pool2d(a, step.Size, step.Stride, [step.Pads[2], step.Pads[0]], count_include_pad: false),
                Kind.MaxPool => nn.functional.max_pool2d(step.Pads.Any(p => p != 0) ? nn.functional.pad(a, step.Pads, value: float.NegativeInfinity) : a, step.Size, step.Stride),
                Kind.Mean => a.mean(step.Axes, keepdim: true),
                Kind.Concat => cat(step.Inputs.Select(V).ToArray(), step.Axis),
                Kind.Pad => nn.functional.pad(a, step.Pads),
                Kind.Resize => step.Nearest
                    ? nn.functional.interpolate(a, size: step.Size, mode: InterpolationMode.Nearest)
                    : nn.functional.interpolate(a, size: step.Size, mode: InterpolationMode.Bilinear, align_corners: step.AlignCorners),
                Kind.Softmax => a.softmax(1),
                Kind.Logistic => a.sigmoid(),
                Kind.Tanh => a.tanh(),
                Kind.Relu => nn.functional.relu(a),
                Kind.Relu6 => nn.functional.relu6(a),
                Kind.ReluN1To1 => a.clamp(-1, 1),
                Kind.LeakyRelu => nn.functional.leaky_relu(a, step.Alpha),
                Kind.HardSwish => nn.functional.hardswish(a),
                _ => throw new InvalidOperationException(step.Kind.ToString()),
            };
            values[step.Output] = Activate(y, step.Activation);
            foreach (int i in step.Inputs)
                if (_lastUse[i] == s && i != _input && i != _output && values[i] is { } dead) { dead.Dispose(); values[i] = null; }
        }
        return V(_output);
    }

    /// <summary>Normalised images <c>[N, C, H, W]</c> (any H, W) → class logits <c>[N, NumClasses, H, W]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        long h = x.shape[2], w = x.shape[3];
        using var scope = NewDisposeScope();
        var input = h == InputHeight && w == InputWidth ? x : nn.functional.interpolate(x, size: [InputHeight, InputWidth], mode: InterpolationMode.Bilinear, align_corners: false);
        var y = Graph(input);
        if (y.shape[2] != h || y.shape[3] != w)
            y = nn.functional.interpolate(y, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        Tensor logits = OutputKind switch
        {
            TfLiteOutputKind.BinaryProbability => cat([(1 - y).clamp_min(ProbabilityFloor).log(), y.clamp_min(ProbabilityFloor).log()], 1),
            TfLiteOutputKind.Probabilities => y.clamp_min(ProbabilityFloor).log(),
            _ => y.shape[1] == 1 ? cat([zeros_like(y), y], 1) : y,
        };
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Probabilities are floored here before the log, so a certain pixel gives a finite logit.</summary>
    public const float ProbabilityFloor = 1e-7f;

    /// <inheritdoc/>
    public OnnxValue ExportOnnx(OnnxGraphBuilder g, OnnxValue x)
    {
        var image = x;
        x = g.ResizeTo(x, InputHeight, InputWidth);
        var values = new Dictionary<int, OnnxValue> { [_input] = x };
        OnnxValue V(int i)
        {
            if (values.TryGetValue(i, out var v)) return v;
            if (_constants.ContainsKey(i)) return values[i] = g.Initializer(Constant(i), g.NewName("const"));
            throw new InvalidOperationException($"tensor {i} has no value");
        }
        foreach (var step in _steps)
        {
            var a = V(step.Inputs[0]);
            bool padded = step.Pads.Any(p => p != 0);
            OnnxValue y = step.Kind switch
            {
                Kind.Conv => g.Module(convs[step.Module], padded ? g.Pad(a, step.Pads) : a),
                Kind.ConvTranspose => g.Module(convs[step.Module], a),
                Kind.Add => g.Add(a, V(step.Inputs[1])),
                Kind.Sub => g.Sub(a, V(step.Inputs[1])),
                Kind.Mul => g.Mul(a, V(step.Inputs[1])),
                Kind.Div => g.Div(a, V(step.Inputs[1])),
                Kind.GlobalAveragePool => g.Node("GlobalAveragePool", [a]),
                Kind.AveragePool => g.Node("AveragePool", [a], ("kernel_shape", step.Size), ("strides", step.Stride),
                    ("pads", new long[] { step.Pads[2], step.Pads[0], step.Pads[3], step.Pads[1] }), ("count_include_pad", 0L)),
                Kind.MaxPool => g.Node("MaxPool", [padded ? g.Pad(a, step.Pads, float.NegativeInfinity) : a], ("kernel_shape", step.Size), ("strides", step.Stride)),
                Kind.Mean => g.Node("ReduceMean", [a], ("axes", step.Axes), ("keepdims", 1L)),
                Kind.Concat => g.Concat(step.Inputs.Select(V).ToArray(), step.Axis),
                Kind.Pad => g.Pad(a, step.Pads),
                Kind.Resize => g.ResizeTo(a, step.Size[0], step.Size[1], step.Nearest ? OnnxGraphBuilder.Interpolation.Nearest : OnnxGraphBuilder.Interpolation.Bilinear, step.AlignCorners),
                Kind.Softmax => g.Softmax(a, 1),
                Kind.Logistic => g.Sigmoid(a),
                Kind.Tanh => g.Node("Tanh", [a]),
                Kind.Relu => g.Relu(a),
                Kind.Relu6 => g.Clip(a, 0, 6),
                Kind.ReluN1To1 => g.Clip(a, -1, 1),
                Kind.LeakyRelu => g.Node("LeakyRelu", [a], ("alpha", step.Alpha)),
                Kind.HardSwish => g.Node("HardSwish", [a]),
                _ => throw new InvalidOperationException(step.Kind.ToString()),
            };
            y = step.Activation switch
            {
                TfLiteActivation.None => y,
                TfLiteActivation.Relu => g.Relu(y),
                TfLiteActivation.Relu6 => g.Clip(y, 0, 6),
                TfLiteActivation.ReluN1To1 => g.Clip(y, -1, 1),
                TfLiteActivation.Tanh => g.Node("Tanh", [y]),
                _ => throw new SharpSegException($"fused activation {step.Activation} cannot be exported."),
            };
            values[step.Output] = y;
        }
        var output = g.ResizeLike(V(_output), image);
        OnnxValue Log(OnnxValue p) => g.Node("Log", [g.Node("Max", [p, g.Scalar(ProbabilityFloor)])]);
        return OutputKind switch
        {
            TfLiteOutputKind.BinaryProbability => g.Concat([Log(g.Sub(g.Scalar(1), output)), Log(output)], 1),
            TfLiteOutputKind.Probabilities => Log(output),
            _ => NumClasses == 2 && Source.Tensors[_output].Shape[3] == 1 ? g.Concat([g.Sub(output, output), output], 1) : output,
        };
    }
}
