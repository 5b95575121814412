namespace SharpSeg.Data.Checks;

/// <summary>One problem found by <see cref="DataChecker"/>: its kind, split, the file it is about, and a one-line message with the fix.</summary>
public sealed record DataProblem(DataProblemKind Kind, string Split, string File, string Message);
