using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Engine;
using SharpSeg.Imaging;
using SharpSeg.Models.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Curation.Embedding;

/// <summary>
/// Embeds images with any <see cref="Encoder"/> of the model zoo: each image is resized to
/// <see cref="Height"/> × <see cref="Width"/>, normalised, run through the encoder, and its deepest feature map
/// <c>[C, h, w]</c> is global-average-pooled to C floats and L2-normalised. With <see cref="Grid"/> G &gt; 0 the map is
/// also average-pooled to G × G cells, each cell L2-normalised, and the row is [global, cells…] / √(1 + G²)
/// (see <see cref="EmbeddingHeader.Grid"/>).
/// </summary>
public sealed class EncoderEmbedder : IImageEmbedder
{
    readonly Encoder _encoder;
    readonly Normalization _normalization;
    readonly Device _device;
    readonly int _stage;
    readonly bool _bf16;
    readonly IDisposable? _owner;

    /// <param name="encoder">The backbone (put in eval mode here).</param>
    /// <param name="normalization">The normalisation the encoder's weights expect.</param>
    /// <param name="identity">What the vectors come from (name and weights), recorded in the file header.</param>
    /// <param name="height">Input height (a multiple of the encoder's output stride).</param>
    /// <param name="width">Input width (a multiple of the encoder's output stride).</param>
    /// <param name="grid">Patch grid side (0: global vector only; at most the deepest map's size).</param>
    /// <param name="device">Where the encoder runs.</param>
    /// <param name="owner">What to dispose with this embedder (the encoder, or the whole model it belongs to); null: nothing.</param>
    /// <param name="bf16">Run the encoder under bfloat16 autocast (faster on CPUs with avx512_bf16 or amx_bf16); the vectors
    /// are pooled and normalised in fp32. Recorded in <see cref="Identity"/>, so a set is never resumed in the other precision.</param>
    public EncoderEmbedder(Encoder encoder, Normalization normalization, string identity, int height = 224, int width = 224, int grid = 0,
        Device? device = null, IDisposable? owner = null, bool bf16 = false)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        int s = encoder.OutputStride;
        if (height < s || width < s || height % s != 0 || width % s != 0)
            throw new SharpSegException($"embedding input size {width}x{height} must be a positive multiple of the encoder's output stride {s} (e.g. --size {Math.Max(1, 224 / s) * s}).");
        if (grid < 0 || grid > Math.Min(height, width) / s)
            throw new SharpSegException($"--grid {grid}: must be 0..{Math.Min(height, width) / s} (the deepest feature map is {width / s}x{height / s} at --size {width}x{height}).");
        _stage = Enumerable.Range(0, encoder.OutChannels.Count).Last(i => encoder.OutChannels[i] > 0);
        _encoder = encoder; _normalization = normalization; _device = device ?? CPU; _owner = owner; _bf16 = bf16;
        Height = height; Width = width; Grid = grid;
        Channels = encoder.OutChannels[_stage];
        Identity = $"encoder:{identity} size={width}x{height} grid={grid}" + (bf16 ? " bf16" : "");
        _encoder.to(_device);
        _encoder.eval();
    }

    public string Identity { get; }
    public int Height { get; }
    public int Width { get; }
    public int Grid { get; }

    /// <summary>Channels C of the deepest feature map (the global vector's length).</summary>
    public int Channels { get; }
    public int Dim => Channels * (1 + Grid * Grid);
    public int ImageChannels => _encoder.InChannels;

    /// <summary>The image resized (bilinear) to the input size.</summary>
    public RgbImage Prepare(RgbImage image) => Resampling.ResizeBilinear(image, Width, Height);

    public void Embed(IReadOnlyList<RgbImage> images, Span<float> output)
    {
        if (output.Length != images.Count * Dim) throw new ArgumentException($"expected {images.Count * Dim} floats", nameof(output));
        if (images.Count == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int n = images.Count, c = ImageChannels;
        var batch = empty(new long[] { n, c, Height, Width }, dtype: ScalarType.Float32);
        var span = ImageTensors.FloatSpan(batch);
        var lut = _normalization.LookupTable(c);
        long plane = (long)c * Height * Width;
        for (int i = 0; i < n; i++)
        {
            var image = images[i];
            if (image.Channels != c) throw new ArgumentException($"the encoder expects {c}-channel images, image {i} has {image.Channels}");
            ImageTensors.WriteChw(Prepare(image), lut, span.Slice((int)(i * plane), (int)plane));
        }
        var input = batch.to(_device);
        Tensor deep = Autocast.Forward(_device, Autocast.Precision(_bf16), () => _encoder.call(input)[_stage], Autocast.Fp32);
        Tensor global = nn.functional.normalize(deep.mean(new long[] { 2, 3 }), p: 2, dim: 1);
        Tensor rows = global;
        if (Grid > 0)
        {
            Tensor cells = nn.functional.adaptive_avg_pool2d(deep, new long[] { Grid, Grid })
                .permute(0, 2, 3, 1).reshape(n, Grid * Grid, Channels);
            cells = nn.functional.normalize(cells, p: 2, dim: 2).reshape(n, Grid * Grid * Channels);
            rows = cat(new[] { global, cells }, 1).div(Math.Sqrt(1 + Grid * Grid));
        }
        ImageTensors.FloatSpan(rows.to(ScalarType.Float32).cpu().contiguous()).CopyTo(output);
    }

    public void Dispose() => _owner?.Dispose();
}
