namespace SharpSeg.Reports;

/// <summary>What an evaluation report names in its header: the checkpoint, the dataset file and name, the split, and how inference ran.</summary>
public sealed record EvaluationReportInfo(string Checkpoint, string DatasetPath, string DatasetName, string Split, string? Inference = null);
