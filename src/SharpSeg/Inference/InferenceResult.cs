using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>The outcome of inference on one image.</summary>
/// <param name="Mask">Arg-max class index per pixel, the image's size.</param>
/// <param name="Probabilities">Stitched softmax probabilities, class-major <c>[C, H, W]</c> (index <c>(c·H + y)·W + x</c>);
/// null unless <see cref="InferenceOptions.KeepProbabilities"/>.</param>
/// <param name="Classes">C, the number of classes.</param>
/// <param name="Tiles">Tiles the image was cut into (1 for whole-image inference).</param>
/// <param name="AccumulatorBytes">Bytes of the stitching accumulator held at once: (C + 1) · band rows · W · 4, where the
/// band is one tile row high (the image height when inferred whole).</param>
public sealed record InferenceResult(LabelMask Mask, float[]? Probabilities, int Classes, int Tiles, long AccumulatorBytes);
