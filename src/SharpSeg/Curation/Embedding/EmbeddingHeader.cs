using System.Text.Json.Serialization;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// The JSON sidecar (<c>X.json</c>) of an embeddings file <c>X.npy</c>: what made the vectors and how to read them.
/// Rows of <c>X.npy</c> (float32 <c>[N, Dim]</c>, each row L2-normalised) match the lines of <c>X.paths.txt</c>
/// (image paths relative to <see cref="ImageRoot"/>, '/'-separated). See docs/CURATION.md.
/// </summary>
public sealed record EmbeddingHeader
{
    /// <summary>Format marker, always <c>sharpseg-embeddings</c>.</summary>
    public const string FormatName = "sharpseg-embeddings";

    /// <summary>Format version this build writes and reads.</summary>
    public const int CurrentVersion = 1;

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("version")] public int Version { get; init; } = CurrentVersion;

    /// <summary>What computed the vectors, e.g. <c>thumbnail:16</c> or <c>encoder:resnet18 weights=random size=224x224 grid=0</c>;
    /// an interrupted run resumes only with the same embedder.</summary>
    [JsonPropertyName("embedder")] public string Embedder { get; init; } = "";

    /// <summary>Floats per row.</summary>
    [JsonPropertyName("dim")] public int Dim { get; init; }

    /// <summary>Patch grid side G (0: global vector only). With G &gt; 0 a row is [global (C), cell (0,0) (C), …, cell (G−1,G−1) (C)],
    /// each part L2-normalised and the whole divided by √(1 + G²), so the row has unit norm and the cosine similarity of two rows
    /// is the mean of the parts' cosine similarities.</summary>
    [JsonPropertyName("grid")] public int Grid { get; init; }

    /// <summary>Absolute folder the paths are relative to.</summary>
    [JsonPropertyName("image_root")] public string ImageRoot { get; init; } = "";

    /// <summary>Rows written when the file was last closed cleanly (the .npy header always has the live count).</summary>
    [JsonPropertyName("rows")] public long Rows { get; init; }

    /// <summary>The row file's name (beside this sidecar).</summary>
    [JsonPropertyName("data_file")] public string DataFile { get; init; } = "";

    /// <summary>The path list's name (beside this sidecar).</summary>
    [JsonPropertyName("paths_file")] public string PathsFile { get; init; } = "";

    /// <summary>Free text: the layout in one sentence, for someone who finds the file without the docs.</summary>
    [JsonPropertyName("layout")] public string Layout { get; init; } =
        "data_file: NumPy .npy float32 [rows, dim], one L2-normalised row per image; paths_file: line i = image of row i, relative to image_root";
}
