using System.Text;

namespace SharpSeg.Pretrained;

/// <summary>
/// What happened when a weights file was matched against a model: tensors loaded, keys the model has but the file lacks
/// (<see cref="Missing"/>), keys the file has that fit nowhere (<see cref="Unexpected"/>), keys present on both sides
/// with different shapes (<see cref="ShapeMismatched"/>), and file keys deliberately left out (<see cref="Ignored"/>,
/// e.g. a classifier's <c>fc.*</c> when only the encoder is loaded).
/// </summary>
public sealed record StateDictLoadReport
{
    /// <summary>The weights file (or description).</summary>
    public required string Source { get; init; }

    /// <summary>The key layout the file was read as.</summary>
    public required StateDictLayout Layout { get; init; }

    /// <summary>What was loaded into ("encoder resnet18", "model unet/resnet18").</summary>
    public required string Target { get; init; }

    /// <summary>Number of tensors copied into the model (0 when the load was refused).</summary>
    public int Loaded { get; init; }

    /// <summary>Model keys (with the file key they were looked up as) that the file does not hold.</summary>
    public IReadOnlyList<(string ModelKey, string? FileKey)> Missing { get; init; } = [];

    /// <summary>File keys that no model key maps to.</summary>
    public IReadOnlyList<string> Unexpected { get; init; } = [];

    /// <summary>Keys on both sides whose shapes differ.</summary>
    public IReadOnlyList<(string ModelKey, string FileKey, long[] FileShape, long[] ModelShape)> ShapeMismatched { get; init; } = [];

    /// <summary>File keys not meant for the target (classifier, decoder when only the encoder is loaded).</summary>
    public int Ignored { get; init; }

    /// <summary>Remarks: tensors adapted on the way (stem channels, zero-extended skip), file notes (pickle warning).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>True when every model tensor found its file tensor with the right shape and nothing was left over.</summary>
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatched.Count == 0;

    /// <summary>One line: "loaded 122 tensors into encoder resnet18 from x.pth (torchvision keys; 2 ignored)".</summary>
    public string Summary =>
        $"loaded {Loaded} tensors into {Target} from {Source} ({Layout} keys{(Ignored > 0 ? $"; {Ignored} file keys not for it ignored" : "")})";

    /// <summary>The mismatch as one table (model key, file key, problem), at most <paramref name="maxRows"/> rows.</summary>
    public string ToTable(int maxRows = 60)
    {
        var rows = new List<(string Model, string File, string Problem)>();
        rows.AddRange(Missing.Select(m => (m.ModelKey, m.FileKey ?? "-", m.FileKey is null ? "no counterpart in this layout" : "missing in file")));
        rows.AddRange(ShapeMismatched.Select(m => (m.ModelKey, m.FileKey, $"shape [{string.Join(", ", m.FileShape)}] in file, [{string.Join(", ", m.ModelShape)}] in model")));
        rows.AddRange(Unexpected.Select(u => ("-", u, "unexpected (fits no model key)")));
        int w1 = Math.Max("model key".Length, rows.Take(maxRows).Select(r => r.Model.Length).DefaultIfEmpty(0).Max());
        int w2 = Math.Max("file key".Length, rows.Take(maxRows).Select(r => r.File.Length).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder();
        sb.AppendLine($"{"model key".PadRight(w1)}  {"file key".PadRight(w2)}  problem");
        foreach (var r in rows.Take(maxRows)) sb.AppendLine($"{r.Model.PadRight(w1)}  {r.File.PadRight(w2)}  {r.Problem}");
        if (rows.Count > maxRows) sb.AppendLine($"... and {rows.Count - maxRows} more");
        sb.Append($"{Missing.Count} missing, {Unexpected.Count} unexpected, {ShapeMismatched.Count} shape-mismatched ({Layout} keys read from {Source} for {Target})");
        return sb.ToString();
    }

    /// <summary>Throws a <see cref="SharpSegException"/> (one line, the table as <see cref="SharpSegException.Details"/>)
    /// unless <see cref="IsComplete"/>.</summary>
    public void ThrowIfIncomplete()
    {
        if (IsComplete) return;
        throw new SharpSegException(
            $"{Source}: weights do not fit {Target}: {Missing.Count} missing, {Unexpected.Count} unexpected, {ShapeMismatched.Count} shape-mismatched keys (read as {Layout} layout; table below). Check the encoder/architecture in the recipe matches the file.")
        { Details = ToTable() };
    }
}
