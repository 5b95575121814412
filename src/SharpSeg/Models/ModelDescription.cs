namespace SharpSeg.Models;

/// <summary>One row of the model listing (<see cref="ModelZoo.Describe"/>, <c>sharpseg models</c>).</summary>
/// <param name="Name">"architecture/encoder", e.g. "deeplabv3/resnet50".</param>
/// <param name="Parameters">Scalar parameters (weights and biases) at the listed number of classes, without the aux head.</param>
/// <param name="OutputStride">Default encoder output stride (the deepest map's downsampling factor).</param>
/// <param name="GigaMacs">Multiply-accumulates of one forward pass at the listed image size, in 10⁹ (torchvision's
/// "GFLOPS" convention counts multiply-adds); null when not computed.</param>
/// <param name="Description">What the model is for, in one line.</param>
public sealed record ModelDescription(string Name, long Parameters, int OutputStride, double? GigaMacs, string Description);
