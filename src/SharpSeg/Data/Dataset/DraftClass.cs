using SharpSeg.Imaging;

namespace SharpSeg.Data.Dataset;

/// <summary>
/// A class as <c>data init</c> drafts it: its name (from a class list, or <c>class_N</c>), its mask value (index masks)
/// or colour, the found value or colour it stands for (<paramref name="Label"/>; null when only the class list names
/// it), and whether it is drafted as ignore (void, unlabelled) rather than a class.
/// </summary>
public sealed record DraftClass(string Name, int? Value, Rgb? Color, DraftLabel? Label, bool Ignore);
