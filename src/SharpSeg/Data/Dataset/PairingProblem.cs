namespace SharpSeg.Data.Dataset;

/// <summary>One pairing problem: its kind, the file it is about, and a one-line message naming the file and the fix.</summary>
public sealed record PairingProblem(PairingProblemKind Kind, string File, string Message);
