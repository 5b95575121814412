using SharpSeg.Data;
using SharpSeg.Imaging;
using SharpSeg.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>
/// Whole-image inference without tiling or test-time augmentation: one network pass over the image (at the inference
/// scale, <see cref="Preprocessing"/>) and the arg-max class per pixel at the image's own size. What
/// <see cref="Predictor.Predict(RgbImage)"/>, <c>eval</c> and <c>bench</c> run; <see cref="SlidingWindowPredictor"/>
/// does the same per tile.
/// </summary>
public static class WholeImagePredictor
{
    /// <summary>
    /// Runs <paramref name="model"/> on one image (whole, any size) and returns the arg-max class per pixel at the image's
    /// size. With <paramref name="inferenceScale"/> ≠ 1 the image is resized before the network and the logits resized back.
    /// </summary>
    public static LabelMask PredictMask(SegmentationModel model, RgbImage image, Normalization normalization, Device device, double inferenceScale = 1.0) =>
        PredictMask(new TorchInferenceBackend(model, model.NumClasses, device), image, normalization, inferenceScale);

    /// <summary>
    /// <see cref="PredictMask(SegmentationModel, RgbImage, Normalization, Device, double)"/> for any backend. An ONNX
    /// model exported with --argmax gives class indices directly (resized back by nearest neighbour).
    /// </summary>
    public static LabelMask PredictMask(IInferenceBackend backend, RgbImage image, Normalization normalization, double inferenceScale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor input = Preprocessing.Input(image, normalization, inferenceScale, backend.Device);
        var mask = new LabelMask(image.Width, image.Height);
        Tensor labels;
        if (backend is Inference.OnnxRuntimeBackend { Metadata.OutputsLabels: true } labelled)
            labels = Preprocessing.RestoreLabels(labelled.Labels(input), image.Height, image.Width).squeeze(0).to(ScalarType.Byte).cpu().contiguous();
        else
        {
            var logits = backend.Logits(input);
            if (logits.device_type == DeviceType.CPU && logits.shape[1] <= 256)
            {
                // On the CPU the class map is made at the image's size in one pass, interpolating only near class
                // boundaries; libtorch's interpolate + arg-max over full-size planes cost more than a small network.
                var scores = logits.to(ScalarType.Float32).contiguous();
                Preprocessing.ResizedArgMax(ImageTensors.FloatSpan(scores), (int)scores.shape[1], (int)scores.shape[3], (int)scores.shape[2], image.Width, image.Height, mask.Labels);
                return mask;
            }
            labels = Preprocessing.ArgMaxClasses(Preprocessing.RestoreLogits(logits, image.Height, image.Width)).squeeze(0).cpu();
        }
        labels.contiguous().bytes.CopyTo(mask.Labels); // TensorAccessor.CopyTo goes element by element: 100 ms at 720p
        return mask;
    }
}
