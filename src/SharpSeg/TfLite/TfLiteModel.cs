using System.Buffers.Binary;

namespace SharpSeg.TfLite;

/// <summary>Element types of TFLite tensors (schema.fbs <c>TensorType</c>).</summary>
public enum TfLiteType : sbyte
{
    Float32 = 0, Float16 = 1, Int32 = 2, UInt8 = 3, Int64 = 4, String = 5, Bool = 6, Int16 = 7, Complex64 = 8, Int8 = 9, Float64 = 10,
}

/// <summary>Padding of convolutions and pools: TensorFlow's SAME (output = ⌈input / stride⌉, the padding split with the
/// extra cell at the end) or VALID (no padding).</summary>
public enum TfLitePadding { Same, Valid }

/// <summary>An activation a TFLite operator applies to its own output (<c>fused_activation_function</c>).</summary>
public enum TfLiteActivation { None = 0, Relu = 1, ReluN1To1 = 2, Relu6 = 3, Tanh = 4 }

/// <summary>
/// One tensor of a TFLite graph: its shape in TFLite's layout (NHWC for images), element type, and, for constants,
/// the values (float16 weights widened to float32; int32 and int64 constants as <see cref="Integers"/>).
/// </summary>
public sealed record TfLiteTensor(int Index, string Name, int[] Shape, TfLiteType Type, float[]? Floats, long[]? Integers, bool Quantized)
{
    /// <summary>True when the file holds the tensor's values.</summary>
    public bool IsConstant => Floats is not null || Integers is not null;

    public override string ToString() => $"'{Name}' [{string.Join(", ", Shape)}] {Type}";
}

/// <summary>The options of one operator that the importer reads (each operator uses some; the rest keep their defaults).</summary>
public sealed record TfLiteOptions
{
    public TfLitePadding Padding { get; init; } = TfLitePadding.Same;
    public int StrideW { get; init; } = 1;
    public int StrideH { get; init; } = 1;
    public int DilationW { get; init; } = 1;
    public int DilationH { get; init; } = 1;
    public int FilterW { get; init; } = 1;
    public int FilterH { get; init; } = 1;
    public int DepthMultiplier { get; init; } = 1;
    public TfLiteActivation Activation { get; init; }
    public bool AlignCorners { get; init; }
    public bool HalfPixelCenters { get; init; }
    public bool KeepDims { get; init; }
    public int Axis { get; init; }
    public float Alpha { get; init; }
}

/// <summary>One operator: its name (a builtin such as <c>CONV_2D</c>, or a custom op's code), tensors in and out, options.</summary>
public sealed record TfLiteOperator(int Index, string Name, int[] Inputs, int[] Outputs, TfLiteOptions Options)
{
    public override string ToString() => $"{Name} (operator {Index})";
}

/// <summary>
/// A TensorFlow Lite model file (<c>.tflite</c>, a FlatBuffer with the identifier <c>TFL3</c>): its first subgraph's
/// tensors and operators, as written by the TFLite converter. Read by <see cref="Load"/>; a file that is not TFLite,
/// is damaged or has more than one subgraph is a one-line <see cref="SharpSegException"/> naming the file.
/// Schema: tensorflow/lite/schema/schema.fbs (field numbers are cited beside each read).
/// </summary>
public sealed class TfLiteModel
{
    /// <summary>Builtin operator codes (schema.fbs <c>BuiltinOperator</c>) by name, for those the importer knows.</summary>
    public static IReadOnlyDictionary<int, string> BuiltinNames { get; } = new Dictionary<int, string>
    {
        [0] = "ADD", [1] = "AVERAGE_POOL_2D", [2] = "CONCATENATION", [3] = "CONV_2D", [4] = "DEPTHWISE_CONV_2D", [5] = "DEPTH_TO_SPACE",
        [6] = "DEQUANTIZE", [9] = "FULLY_CONNECTED", [14] = "LOGISTIC", [17] = "MAX_POOL_2D", [18] = "MUL", [19] = "RELU",
        [20] = "RELU_N1_TO_1", [21] = "RELU6", [22] = "RESHAPE", [23] = "RESIZE_BILINEAR", [25] = "SOFTMAX", [26] = "SPACE_TO_DEPTH",
        [28] = "TANH", [32] = "CUSTOM", [34] = "PAD", [39] = "TRANSPOSE", [40] = "MEAN", [41] = "SUB", [42] = "DIV", [43] = "SQUEEZE",
        [45] = "STRIDED_SLICE", [49] = "SPLIT", [53] = "CAST", [54] = "PRELU", [55] = "MAXIMUM", [56] = "ARG_MAX", [57] = "MINIMUM",
        [60] = "PADV2", [67] = "TRANSPOSE_CONV", [70] = "EXPAND_DIMS", [74] = "SUM", [83] = "PACK", [97] = "RESIZE_NEAREST_NEIGHBOR",
        [98] = "LEAKY_RELU", [114] = "QUANTIZE", [117] = "HARD_SWISH",
    };

    TfLiteModel(string path, string? description, IReadOnlyList<TfLiteTensor> tensors, IReadOnlyList<TfLiteOperator> operators, int[] inputs, int[] outputs, byte[] sha256)
    {
        Path = path; Description = description; Tensors = tensors; Operators = operators; Inputs = inputs; Outputs = outputs; Sha256 = sha256;
    }

    /// <summary>The file it was read from (for messages).</summary>
    public string Path { get; }

    /// <summary>The converter's description string, if any.</summary>
    public string? Description { get; }

    public IReadOnlyList<TfLiteTensor> Tensors { get; }

    /// <summary>Operators in execution order.</summary>
    public IReadOnlyList<TfLiteOperator> Operators { get; }

    /// <summary>Graph input tensor indices.</summary>
    public int[] Inputs { get; }

    /// <summary>Graph output tensor indices.</summary>
    public int[] Outputs { get; }

    /// <summary>SHA-256 of the file's bytes.</summary>
    public byte[] Sha256 { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static TfLiteModel Load(string path)
    {
        byte[] data;
        try { data = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SharpSegException($"{path}: cannot read the TFLite model ({e.Message}).");
        }
        return Read(data, path);
    }

    /// <summary>Reads a TFLite model from its bytes; <paramref name="path"/> names it in messages.</summary>
    public static TfLiteModel Read(byte[] data, string path)
    {
        if (data.Length < 8 || data[4] != (byte)'T' || data[5] != (byte)'F' || data[6] != (byte)'L' || data[7] != (byte)'3')
            throw new SharpSegException($"{path}: not a TensorFlow Lite model (no TFL3 identifier at byte 4); pass a .tflite file.");
        try { return Parse(data, path); }
        catch (FormatException e) { throw new SharpSegException($"{path}: the TFLite file is damaged ({e.Message}); download it again."); }
    }

    static TfLiteModel Parse(byte[] data, string path)
    {
        var model = FlatBufferTable.Root(data);
        // Model: 0 version, 1 operator_codes, 2 subgraphs, 3 description, 4 buffers.
        var codes = model.Tables(1).Select(c =>
        {
            // OperatorCode: 0 deprecated_builtin_code (int8), 1 custom_code, 3 builtin_code (int32); the larger of 0 and 3 holds.
            int code = Math.Max(c.SByte(0), c.Int32(3));
            if (code == 32) return c.String(1) ?? "CUSTOM";
            return BuiltinNames.TryGetValue(code, out var name) ? name : $"builtin operator {code}";
        }).ToArray();
        var subgraphs = model.Tables(2);
        if (subgraphs.Length != 1)
            throw new SharpSegException($"{path}: the TFLite model has {subgraphs.Length} subgraphs; SharpSeg imports models of exactly one (control flow is not supported).");
        var buffers = model.Tables(4);
        var graph = subgraphs[0];
        // SubGraph: 0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name.
        var tensorTables = graph.Tables(0);
        var tensors = new TfLiteTensor[tensorTables.Length];
        for (int i = 0; i < tensors.Length; i++) tensors[i] = ReadTensor(tensorTables[i], i, buffers, data);
        int[] inputs = graph.Int32s(1), outputs = graph.Int32s(2);
        var operators = graph.Tables(3).Select((op, i) =>
        {
            // Operator: 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type, 4 builtin_options, 5 custom_options.
            uint opcode = op.UInt32(0);
            if (opcode >= codes.Length) throw new FormatException($"operator {i} has opcode index {opcode} of {codes.Length}");
            string name = codes[opcode];
            int[] ins = op.Int32s(1), outs = op.Int32s(2);
            foreach (int t in ins.Concat(outs))
                if (t < -1 || t >= tensors.Length) throw new FormatException($"operator {i} refers to tensor {t} of {tensors.Length}");
            return new TfLiteOperator(i, name, ins, outs, ReadOptions(name, op));
        }).ToArray();
        foreach (int t in inputs.Concat(outputs))
            if (t < 0 || t >= tensors.Length) throw new FormatException($"graph input/output tensor {t} of {tensors.Length}");
        return new TfLiteModel(path, model.String(3), tensors, operators, inputs, outputs, System.Security.Cryptography.SHA256.HashData(data));
    }

    static TfLiteTensor ReadTensor(FlatBufferTable t, int index, FlatBufferTable[] buffers, byte[] file)
    {
        // Tensor: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization.
        int[] shape = t.Int32s(0);
        var type = (TfLiteType)t.SByte(1);
        uint buffer = t.UInt32(2);
        string name = t.String(3) ?? $"tensor {index}";
        // QuantizationParameters: 2 scale [float]. A scale on an integer tensor makes it quantised.
        bool quantized = t.Table(4) is { } q && q.Bytes(2, 4).Length > 0 && type is TfLiteType.Int8 or TfLiteType.UInt8 or TfLiteType.Int16 or TfLiteType.Int32;
        if (shape.Any(d => d < 0)) throw new FormatException($"tensor '{name}' has a negative dimension");
        float[]? floats = null; long[]? integers = null;
        ReadOnlySpan<byte> bytes = ReadOnlySpan<byte>.Empty;
        if (buffer != 0)
        {
            if (buffer >= buffers.Length) throw new FormatException($"tensor '{name}' refers to buffer {buffer} of {buffers.Length}");
            var b = buffers[buffer];
            // Buffer: 0 data, 1 offset, 2 size (offset/size: data stored after the FlatBuffer, for files over 2 GB).
            bytes = b.Bytes(0);
            long offset = b.Int64(1), size = b.Int64(2);
            if (bytes.Length == 0 && offset > 1 && size > 0)
            {
                if (offset + size > file.Length) throw new FormatException($"tensor '{name}' data lies outside the file");
                bytes = file.AsSpan((int)offset, (int)size);
            }
        }
        if (bytes.Length > 0)
        {
            long count = shape.Aggregate(1L, (a, d) => a * d);
            int width = type switch { TfLiteType.Float32 or TfLiteType.Int32 => 4, TfLiteType.Float16 or TfLiteType.Int16 => 2, TfLiteType.Int64 or TfLiteType.Float64 => 8, TfLiteType.UInt8 or TfLiteType.Int8 or TfLiteType.Bool => 1, _ => 0 };
            if (width == 0 || count * width != bytes.Length)
                throw new FormatException($"tensor '{name}' holds {bytes.Length} bytes for {count} values of {type}");
            switch (type)
            {
                case TfLiteType.Float32:
                    floats = new float[count];
                    for (int i = 0; i < count; i++) floats[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                    break;
                case TfLiteType.Float16:
                    floats = new float[count];
                    for (int i = 0; i < count; i++) floats[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                    break;
                case TfLiteType.Int32:
                    integers = new long[count];
                    for (int i = 0; i < count; i++) integers[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                    break;
                case TfLiteType.Int64:
                    integers = new long[count];
                    for (int i = 0; i < count; i++) integers[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]);
                    break;
                default:
                    integers = null; // quantised or other constants: the importer refuses the operator that uses them
                    floats = null;
                    break;
            }
        }
        return new TfLiteTensor(index, name, shape, type, floats, integers, quantized || (bytes.Length > 0 && floats is null && integers is null));
    }

    static TfLiteOptions ReadOptions(string op, FlatBufferTable operatorTable)
    {
        var o = operatorTable.Table(4);
        if (op == "Convolution2DTransposeBias")
        {
            // MediaPipe's custom op: custom_options is a TfLiteTransposeConvParams struct (padding enum 1 = SAME, 2 = VALID; stride w, h).
            var raw = operatorTable.Bytes(5);
            if (raw.Length < 12) throw new FormatException($"{op} has {raw.Length} bytes of options, expected 12");
            int padding = BinaryPrimitives.ReadInt32LittleEndian(raw);
            return new TfLiteOptions
            {
                Padding = padding == 2 ? TfLitePadding.Valid : TfLitePadding.Same,
                StrideW = BinaryPrimitives.ReadInt32LittleEndian(raw[4..]), StrideH = BinaryPrimitives.ReadInt32LittleEndian(raw[8..]),
            };
        }
        if (o is not { } t) return new TfLiteOptions();
        TfLitePadding Pad(int field) => t.Byte(field) == 1 ? TfLitePadding.Valid : TfLitePadding.Same;
        TfLiteActivation Act(int field) => (TfLiteActivation)t.Byte(field);
        return op switch
        {
            // Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 fused_activation_function, 4 dilation_w_factor, 5 dilation_h_factor.
            "CONV_2D" => new TfLiteOptions { Padding = Pad(0), StrideW = t.Int32(1, 1), StrideH = t.Int32(2, 1), Activation = Act(3), DilationW = t.Int32(4, 1), DilationH = t.Int32(5, 1) },
            // DepthwiseConv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier, 4 activation, 5 dilation_w, 6 dilation_h.
            "DEPTHWISE_CONV_2D" => new TfLiteOptions { Padding = Pad(0), StrideW = t.Int32(1, 1), StrideH = t.Int32(2, 1), DepthMultiplier = t.Int32(3, 1), Activation = Act(4), DilationW = t.Int32(5, 1), DilationH = t.Int32(6, 1) },
            // Pool2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 filter_width, 4 filter_height, 5 activation.
            "AVERAGE_POOL_2D" or "MAX_POOL_2D" => new TfLiteOptions { Padding = Pad(0), StrideW = t.Int32(1, 1), StrideH = t.Int32(2, 1), FilterW = t.Int32(3, 1), FilterH = t.Int32(4, 1), Activation = Act(5) },
            // AddOptions / SubOptions / MulOptions / DivOptions: 0 activation.
            "ADD" or "SUB" or "MUL" or "DIV" => new TfLiteOptions { Activation = Act(0) },
            // ConcatenationOptions: 0 axis, 1 activation.
            "CONCATENATION" => new TfLiteOptions { Axis = t.Int32(0), Activation = Act(1) },
            // ResizeBilinearOptions: 2 align_corners, 3 half_pixel_centers.
            "RESIZE_BILINEAR" => new TfLiteOptions { AlignCorners = t.Bool(2), HalfPixelCenters = t.Bool(3) },
            // ResizeNearestNeighborOptions: 0 align_corners, 1 half_pixel_centers.
            "RESIZE_NEAREST_NEIGHBOR" => new TfLiteOptions { AlignCorners = t.Bool(0), HalfPixelCenters = t.Bool(1) },
            // ReducerOptions: 0 keep_dims.
            "MEAN" => new TfLiteOptions { KeepDims = t.Bool(0) },
            // TransposeConvOptions: 0 padding, 1 stride_w, 2 stride_h, 3 activation.
            "TRANSPOSE_CONV" => new TfLiteOptions { Padding = Pad(0), StrideW = t.Int32(1, 1), StrideH = t.Int32(2, 1), Activation = Act(3) },
            // LeakyReluOptions: 0 alpha.
            "LEAKY_RELU" => new TfLiteOptions { Alpha = t.Float(0) },
            _ => new TfLiteOptions(),
        };
    }
}
