namespace SharpSeg.Curation.Selection;

/// <summary>A representative image and the near-duplicates it stands for.</summary>
/// <param name="Representative">Row index of the image kept.</param>
/// <param name="Members">Row indices of the images removed as its near-duplicates (cosine similarity to the representative ≥ the threshold).</param>
/// <param name="Similarities">Cosine similarity of each member to the representative.</param>
public sealed record DuplicateGroup(int Representative, IReadOnlyList<int> Members, IReadOnlyList<float> Similarities)
{
    /// <summary>Images in the group, representative included.</summary>
    public int Size => Members.Count + 1;
}
