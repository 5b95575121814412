using SharpSeg.Checkpoints;
using SharpSeg.Models.Onnx;
using TorchSharp;
using Proto = global::Onnx;

namespace SharpSeg.Inference;

/// <summary>
/// A model's ONNX graph with SharpSeg's metadata, as <c>Onnx.OnnxExporter</c> writes it and as in-memory models
/// (imported TFLite graphs run by ONNX Runtime, <see cref="TfLiteModels"/>) use it: input <c>image</c>
/// <c>[batch, C, height, width]</c>, output <c>logits</c> (or <c>labels</c>), opset <see cref="OnnxGraphBuilder.Opset"/>.
/// </summary>
internal static class OnnxGraphs
{
    internal static Proto.ModelProto Build<TModel>(TModel model, int inChannels, int numClasses, string description, CheckpointInfo info, bool argMax)
        where TModel : torch.nn.Module, IOnnxExportable
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(info);
        if (info.Classes.Count != numClasses)
            throw new SharpSegException($"the class table has {info.Classes.Count} classes but the model outputs {numClasses} logits.");
        bool wasTraining = model.training;
        model.eval();
        Proto.ModelProto proto;
        try
        {
            using var noGrad = torch.no_grad();
            proto = Graph(model, inChannels, numClasses, description, info, null, argMax, "none");
        }
        finally { model.train(wasTraining); }
        return proto;
    }

    internal static Proto.ModelProto Graph(torch.nn.Module model, int inChannels, int numClasses, string description, CheckpointInfo info, Int8Plan? plan, bool argMax, string quantization)
    {
        using var scope = torch.NewDisposeScope();
        var g = new OnnxGraphBuilder(model, plan);
        var x = g.Input("image", "batch", inChannels, "height", "width");
        var logits = ((IOnnxExportable)model).ExportOnnx(g, x);
        if (argMax) g.Output(g.ArgMax(logits), "labels", Proto.TensorProto.Types.DataType.Int64, "batch", "height", "width");
        else g.Output(logits, "logits", Proto.TensorProto.Types.DataType.Float, "batch", numClasses, "height", "width");
        if (plan is { Calibrating: true })
            foreach (var point in plan.Points) g.Graph.Output.Add(OnnxGraphBuilder.ValueInfo(point, Proto.TensorProto.Types.DataType.Float, null));
        var proto = new Proto.ModelProto
        {
            IrVersion = 8,
            ProducerName = "SharpSeg",
            ProducerVersion = typeof(OnnxGraphs).Assembly.GetName().Version?.ToString() ?? "",
            DocString = $"{description}: image → {(argMax ? "class indices" : "class logits")}",
            Graph = g.Graph,
        };
        proto.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = OnnxGraphBuilder.Opset });
        new OnnxMetadata { Info = info, Output = argMax ? "labels" : "logits", Quantization = quantization }.WriteTo(proto);
        return proto;
    }
}
