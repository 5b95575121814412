namespace SharpSeg.Annotation;

/// <summary>A fitted fusion rule: the fused label of a combination of annotators' labels and how sure it is.</summary>
public interface IFusionRule
{
    /// <summary>The fused class for the labels in <paramref name="key"/> (<see cref="LabelTuples"/>), or
    /// <see cref="Imaging.LabelMask.Ignore"/>; and the confidence in it, in [0, 1].</summary>
    (byte Label, double Confidence) Fuse(ulong key);
}
