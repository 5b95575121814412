using SharpSeg.Imaging;

namespace SharpSeg.Inference;

/// <summary>
/// Writes one image's prediction into an output folder: <c>{stem}_mask.png</c> (8-bit class indices),
/// <c>{stem}_color.png</c> (class colours) and <c>{stem}_overlay.png</c> (image blended with the colours).
/// </summary>
public sealed class PredictionWriter
{
    readonly string _outDirectory;
    readonly IReadOnlyList<Rgb> _colours;
    readonly double _opacity;

    public PredictionWriter(string outDirectory, IReadOnlyList<Rgb> colours, double opacity = 0.5)
    {
        if (opacity < 0 || opacity > 1) throw new SharpSegException($"--opacity {opacity}: must be between 0 and 1.");
        Directory.CreateDirectory(outDirectory);
        _outDirectory = outDirectory; _colours = colours; _opacity = opacity;
    }

    /// <summary>The three files written for an input image path.</summary>
    public (string Mask, string Colour, string Overlay) PathsFor(string imagePath)
    {
        string stem = Path.GetFileNameWithoutExtension(imagePath);
        return (Path.Combine(_outDirectory, stem + "_mask.png"), Path.Combine(_outDirectory, stem + "_color.png"), Path.Combine(_outDirectory, stem + "_overlay.png"));
    }

    public (string Mask, string Colour, string Overlay) Write(string imagePath, RgbImage image, LabelMask prediction)
    {
        var paths = PathsFor(imagePath);
        ImageFile.SaveMaskPng(prediction, paths.Mask);
        ImageFile.SavePng(MaskRenderer.ColourMask(prediction, _colours), paths.Colour);
        ImageFile.SavePng(MaskRenderer.Overlay(image, prediction, _colours, _opacity), paths.Overlay);
        return paths;
    }
}
