namespace SharpSeg.Data.Dataset;

/// <summary>
/// A mask <see cref="DatasetDraft"/> found encoded differently from the rest: its path, its encoding in words
/// ("2-bit palette PNG", "8-bit RGB colour PNG"), whether it still decodes under the drafted encoding, and what the
/// draft did with it or what to do.
/// </summary>
public sealed record DraftMaskNote(string Path, string Encoding, bool DecodesCleanly, string Note);
