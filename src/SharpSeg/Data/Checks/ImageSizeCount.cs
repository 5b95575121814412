namespace SharpSeg.Data.Checks;

/// <summary>One bar of an image-size histogram: how many images are <paramref name="Width"/> x <paramref name="Height"/> pixels.</summary>
public sealed record ImageSizeCount(int Width, int Height, int Images);
