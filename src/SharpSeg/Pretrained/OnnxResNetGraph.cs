using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Pretrained;

/// <summary>
/// Walks a ResNet (BasicBlock) ONNX graph from its input and names each initializer with the torchvision key of the
/// layer that uses it: stem Conv → BatchNormalization → Relu → MaxPool, then blocks Conv → BN → Relu → Conv → BN →
/// Add(identity or downsample Conv → BN) → Relu; a block with a downsample starts the next layer; a final AveragePool.
/// Anything else is refused with the node where the graph differs, so a different file cannot load silently.
/// </summary>
internal static class OnnxResNetGraph
{
    public static List<(string Key, Tensor Value)> Read(ModelProto model, string path, int[] expectedBlocks)
    {
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(t => t.Name);
        var consumers = new Dictionary<string, List<NodeProto>>();
        foreach (var n in g.Node)
            foreach (var i in n.Input)
            {
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                list.Add(n);
            }
        var result = new List<(string, Tensor)>();
        SharpSegException Differs(string what) => new($"{path}: the ONNX graph is not the expected ResNet ({what}); is this the file of {ImageNetResNet18.PackageId} {ImageNetResNet18.PackageVersion}?");
        List<NodeProto> Next(string tensor) => consumers.TryGetValue(tensor, out var l) ? l : [];
        NodeProto Single(string tensor, string op)
        {
            var l = Next(tensor);
            if (l.Count != 1 || l[0].OpType != op) throw Differs($"expected one {op} after {tensor}, found {string.Join(", ", l.Select(n => n.OpType + " " + n.Name))}");
            return l[0];
        }
        Tensor Init(NodeProto n, int input)
        {
            if (n.Input.Count <= input || !inits.TryGetValue(n.Input[input], out var t)) throw Differs($"{n.OpType} {n.Name} input {input} is not a weight");
            return torch.tensor(ImageNetResNet18.Floats(t)).reshape(t.Dims.ToArray());
        }
        long[] Ints(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray() ?? [];
        void Conv(NodeProto conv, string key)
        {
            if (conv.Input.Count != 2) throw Differs($"{conv.Name} has a bias");
            if (Ints(conv, "group") is { Length: > 0 } && conv.Attribute.First(a => a.Name == "group").I != 1) throw Differs($"{conv.Name} is grouped");
            result.Add((key + ".weight", Init(conv, 1)));
        }
        NodeProto Bn(NodeProto after, string key)
        {
            var bn = Single(after.Output[0], "BatchNormalization");
            float eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            if (Math.Abs(eps - 1e-5f) > 1e-9f) throw Differs($"{bn.Name} has epsilon {eps}, PyTorch's BatchNorm uses 1e-5");
            result.Add((key + ".weight", Init(bn, 1)));
            result.Add((key + ".bias", Init(bn, 2)));
            result.Add((key + ".running_mean", Init(bn, 3)));
            result.Add((key + ".running_var", Init(bn, 4)));
            return bn;
        }
        long Stride(NodeProto n) => Ints(n, "strides") is { Length: > 0 } s ? s[0] : 1;
        long Kernel(NodeProto conv) => inits[conv.Input[1]].Dims[2];

        string input = g.Input.Select(i => i.Name).First(n => !inits.ContainsKey(n));
        var stem = Single(input, "Conv");
        Conv(stem, "conv1");
        var x = Single(Single(Bn(stem, "bn1").Output[0], "Relu").Output[0], "MaxPool").Output[0];

        var blocks = new List<int> { 0 };
        while (true)
        {
            var next = Next(x);
            if (next.Count == 1 && next[0].OpType is "AveragePool" or "GlobalAveragePool") break;
            var convs = next.Where(n => n.OpType == "Conv").ToList();
            var conv1 = convs.FirstOrDefault(c => Kernel(c) == 3) ?? throw Differs($"no 3x3 Conv after {x}");
            var downsample = convs.FirstOrDefault(c => Kernel(c) == 1);
            if (convs.Count != (downsample is null ? 1 : 2) || next.Count - convs.Count != (downsample is null ? 1 : 0))
                throw Differs($"unexpected nodes after {x}: {string.Join(", ", next.Select(n => n.OpType + " " + n.Name))}");
            if (downsample is not null && (blocks.Count > 1 || blocks[0] > 0)) blocks.Add(0);
            if ((downsample is not null) != (Stride(conv1) == 2) && !(downsample is not null && blocks.Count == 1))
                throw Differs($"{conv1.Name}: stride {Stride(conv1)} does not fit a block {(downsample is null ? "without" : "with")} downsample");
            string prefix = $"layer{blocks.Count}.{blocks[^1]}";
            blocks[^1]++;
            Conv(conv1, prefix + ".conv1");
            var relu = Single(Bn(conv1, prefix + ".bn1").Output[0], "Relu");
            var conv2 = Single(relu.Output[0], "Conv");
            Conv(conv2, prefix + ".conv2");
            var add = Single(Bn(conv2, prefix + ".bn2").Output[0], "Add");
            string identity = x;
            if (downsample is not null)
            {
                Conv(downsample, prefix + ".downsample.0");
                identity = Bn(downsample, prefix + ".downsample.1").Output[0];
            }
            if (!add.Input.Contains(identity)) throw Differs($"{add.Name} does not add the block's identity");
            x = Single(add.Output[0], "Relu").Output[0];
        }
        if (!blocks.SequenceEqual(expectedBlocks))
            throw Differs($"blocks per layer [{string.Join(", ", blocks)}], expected [{string.Join(", ", expectedBlocks)}]");
        return result;
    }
}
