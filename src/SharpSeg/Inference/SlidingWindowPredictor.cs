using System.Runtime.CompilerServices;
using SharpSeg.Data;
using SharpSeg.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Inference;

/// <summary>
/// Sliding-window (tiled) inference with optional test-time augmentation, for images of any size at bounded memory.
/// </summary>
/// <remarks>
/// <para>Tiles are squares of <see cref="InferenceOptions.TileSize"/> image pixels (clamped to the image), laid on a
/// grid with stride tile − overlap; the last tile of each row/column is shifted back to end at the image border, so
/// every tile is full-size and no padding is invented. Tiles run one at a time, each inside its own
/// <c>torch.NewDisposeScope()</c>: per tile the model's logits <c>[1, C, th, tw]</c> become softmax probabilities
/// (averaged over TTA runs), are multiplied by the blend window and added to an accumulator together with the window.</para>
/// <para>Band accumulation: tiles are visited row by row, and the accumulator holds only the rows the current tile row
/// covers (one tile high, the image's full width). When the next tile row starts at y₁, rows above y₁ are touched by no
/// later tile: they are normalised by the weight sum, arg-maxed into the mask and dropped. Peak accumulator memory is
/// (C + 1) · tile · W · 4 bytes instead of (C + 1) · H · W · 4 (for 8000×8000, 11 classes, tile 512: 197 MB instead of
/// 3.1 GB). Keeping the probabilities (<see cref="InferenceOptions.KeepProbabilities"/>) adds C · H · W · 4 bytes.</para>
/// <para>Inference scale: each tile is resized by the checkpoint's inference scale (times the TTA scale) before the
/// network and its logits resized back to the tile. The tile grid is therefore laid in original image pixels, and a
/// tile of 512 always covers 512×512 image pixels whatever the scale; at scale 1 nothing is resized. Whole-image
/// inference does the same to the whole image, matching <see cref="WholeImagePredictor.PredictMask(IInferenceBackend, RgbImage, Normalization, double)"/>; both prepare
/// their inputs with <see cref="Preprocessing"/>.</para>
/// </remarks>
public sealed class SlidingWindowPredictor
{
    readonly IInferenceBackend _backend;
    readonly int _classes;
    readonly Normalization _normalization;
    readonly Device _device;
    readonly double _inferenceScale;

    /// <param name="model">Image batch <c>[1, Cin, h, w]</c> (normalised) → logits <c>[1, classes, h, w]</c>, in eval mode
    /// (run as it is: a <see cref="TorchInferenceBackend"/> without channels-last).</param>
    /// <param name="classes">Logit channels C (at most 255).</param>
    /// <param name="normalization">The normalisation the model was trained with.</param>
    /// <param name="device">Where the model runs; accumulation is always on the CPU.</param>
    /// <param name="inferenceScale">The checkpoint's inference scale (1 = native resolution).</param>
    public SlidingWindowPredictor(nn.Module<Tensor, Tensor> model, int classes, Normalization normalization, Device? device = null, double inferenceScale = 1.0)
        : this(new TorchInferenceBackend(model, classes, device), normalization, inferenceScale)
    {
    }

    /// <param name="backend">The network (TorchSharp or ONNX Runtime): normalised images → logits.</param>
    /// <param name="normalization">The normalisation the model was trained with.</param>
    /// <param name="inferenceScale">The checkpoint's inference scale (1 = native resolution).</param>
    public SlidingWindowPredictor(IInferenceBackend backend, Normalization normalization, double inferenceScale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(backend);
        int classes = backend.Classes;
        if (classes < 1 || classes > LabelMask.MaxClasses) throw new ArgumentOutOfRangeException(nameof(backend), $"classes must be 1..{LabelMask.MaxClasses}, got {classes}");
        if (!(inferenceScale > 0)) throw new ArgumentOutOfRangeException(nameof(inferenceScale), "inference scale must be positive");
        _backend = backend; _classes = classes; _normalization = normalization; _device = backend.Device; _inferenceScale = inferenceScale;
    }

    /// <summary>Tile origins along one axis of <paramref name="length"/> pixels: 0, stride, 2·stride, …, length − tile.</summary>
    public static IReadOnlyList<int> TileOrigins(int length, int tile, int overlap)
    {
        if (tile >= length) return new[] { 0 };
        int stride = Math.Max(1, tile - overlap);
        var origins = new List<int>();
        for (int o = 0; ; o += stride)
        {
            if (o + tile >= length) { origins.Add(length - tile); break; }
            origins.Add(o);
        }
        return origins;
    }

    /// <summary>Bytes of the band accumulator for an image of <paramref name="width"/>×<paramref name="height"/>:
    /// (C + 1) · min(tile, H) · W · 4 (whole-image inference: the tile is the image).</summary>
    public static long AccumulatorBytes(int width, int height, int classes, InferenceOptions options)
    {
        bool whole = options.TileSize is not int t || (width <= t && height <= t);
        int bandRows = whole ? height : Math.Min(options.TileSize!.Value, height);
        return (long)(classes + 1) * bandRows * width * sizeof(float);
    }

    /// <summary>Segments <paramref name="image"/> (channels as the model expects). <paramref name="progress"/> receives
    /// (tiles done, tiles total) after every tile.</summary>
    public InferenceResult Predict(RgbImage image, InferenceOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        options = options.For(image.Width, image.Height, _inferenceScale, _backend);
        var tta = options.Tta ?? TestTimeAugmentation.None;
        int W = image.Width, H = image.Height, C = _classes;
        bool whole = options.TileSize is not int tileSide || (W <= tileSide && H <= tileSide);
        int tw = whole ? W : Math.Min(options.TileSize!.Value, W), th = whole ? H : Math.Min(options.TileSize!.Value, H);
        int overlap = whole ? 0 : options.OverlapPixels(options.TileSize!.Value);
        var xs = TileOrigins(W, tw, overlap);
        var ys = TileOrigins(H, th, overlap);
        int total = xs.Count * ys.Count;
        var blend = whole ? BlendWindow.Uniform : options.Blend;
        float[] wx = Window(tw, blend), wy = Window(th, blend);

        long probabilityLength = (long)C * H * W;
        if (options.KeepProbabilities && probabilityLength > Array.MaxLength)
            throw new SharpSegException($"{W}x{H} with {C} classes: {probabilityLength} probabilities do not fit one array; predict without keeping probabilities or on a smaller image.");
        float[]? probabilities = options.KeepProbabilities ? new float[probabilityLength] : null;
        var mask = new LabelMask(W, H);

        long bandPlane = (long)th * W;
        var acc = new float[checked(C * bandPlane)];
        var weight = new float[bandPlane];
        int bandY = 0; // image row of the band's first row
        int done = 0;
        // Whole image: one tile with uniform weight, so its probabilities are written straight into the accumulator.
        var tileProbs = whole ? acc : new float[(long)C * th * tw];
        if (whole) Array.Fill(weight, 1f);
        using var noGrad = torch.no_grad();
        for (int r = 0; r < ys.Count; r++)
        {
            int y0 = ys[r];
            // Rows above y0 are complete: finalise them and slide the band down so it starts at y0.
            if (y0 > bandY)
            {
                Finalise(acc, weight, W, H, bandY, y0 - bandY, th, mask, probabilities);
                Shift(acc, weight, C, W, th, y0 - bandY);
                bandY = y0;
            }
            foreach (int x0 in xs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
                {
                    var crop = whole ? image : Crop(image, x0, y0, tw, th);
                    Tensor probs = TileProbabilities(Preprocessing.Input(crop, _normalization, 1.0, _device), tta);
                    ImageTensors.FloatSpan(probs).CopyTo(tileProbs); // TensorAccessor.CopyTo goes element by element: far slower
                }
                if (!whole) Accumulate(tileProbs, acc, weight, wx, wy, C, W, th, tw, x0, y0 - bandY);
                progress?.Report((++done, total));
            }
        }
        Finalise(acc, weight, W, H, bandY, H - bandY, th, mask, probabilities);
        return new InferenceResult(mask, probabilities, C, total, (acc.LongLength + weight.LongLength) * sizeof(float));
    }

    /// <summary>Softmax probabilities <c>[C, h, w]</c> (CPU, float32) of one normalised input <c>[1, Cin, h, w]</c> at the
    /// tile's own size (on the device), averaged over the TTA runs; each run resized by its TTA scale times the inference
    /// scale and its logits resized back (<see cref="Preprocessing"/>).</summary>
    Tensor TileProbabilities(Tensor input, TestTimeAugmentation tta)
    {
        long h = input.shape[2], w = input.shape[3];
        Tensor? sum = null;
        foreach (double s in tta.Scales)
        {
            Tensor scaled = Preprocessing.Resize(input, s * _inferenceScale);
            for (int f = 0; f < (tta.HorizontalFlip ? 2 : 1); f++)
            {
                Tensor logits = Preprocessing.RestoreLogits(f == 0 ? _backend.Logits(scaled) : _backend.Logits(scaled.flip(3)).flip(3), h, w);
                Tensor p = logits.softmax(1);
                sum = sum is null ? p : sum.add_(p);
            }
        }
        Tensor mean = tta.Runs == 1 ? sum! : sum!.div_(tta.Runs);
        return mean.squeeze(0).to(ScalarType.Float32).cpu().contiguous();
    }

    /// <summary>Per-axis weights of length <paramref name="n"/>, all &gt; 0.</summary>
    internal static float[] Window(int n, BlendWindow blend)
    {
        var w = new float[n];
        switch (blend)
        {
            case BlendWindow.Gaussian:
                double sigma = n / 8.0, centre = (n - 1) / 2.0;
                for (int i = 0; i < n; i++) w[i] = (float)Math.Max(Math.Exp(-0.5 * Math.Pow((i - centre) / sigma, 2)), 1e-4);
                break;
            case BlendWindow.Linear:
                double half = (n + 1) / 2.0;
                for (int i = 0; i < n; i++) w[i] = (float)(Math.Min(i + 1, n - i) / half);
                break;
            default:
                Array.Fill(w, 1f);
                break;
        }
        return w;
    }

    static RgbImage Crop(RgbImage image, int x0, int y0, int w, int h)
    {
        int c = image.Channels;
        var crop = new RgbImage(w, h, c);
        for (int y = 0; y < h; y++)
            Buffer.BlockCopy(image.Pixels, ((y0 + y) * image.Width + x0) * c, crop.Pixels, y * w * c, w * c);
        return crop;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // pixel loop: skip the slow first JIT tier
    static void Accumulate(float[] tile, float[] acc, float[] weight, float[] wx, float[] wy, int C, int W, int bandRows, int tw, int x0, int bandRow0)
    {
        int th = wy.Length;
        long bandPlane = (long)bandRows * W, tilePlane = (long)th * tw;
        for (int y = 0; y < th; y++)
        {
            long rowStart = (long)(bandRow0 + y) * W + x0;
            float wyy = wy[y];
            for (int x = 0; x < tw; x++) weight[rowStart + x] += wyy * wx[x];
            for (int c = 0; c < C; c++)
            {
                long dst = c * bandPlane + rowStart, src = c * tilePlane + (long)y * tw;
                for (int x = 0; x < tw; x++) acc[dst + x] += tile[src + x] * (wyy * wx[x]);
            }
        }
    }

    /// <summary>Normalises band rows [0, rows) (image rows bandY…) by the weight sum, writes their arg-max into the mask
    /// and, when kept, their probabilities.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Finalise(float[] acc, float[] weight, int W, int H, int bandY, int rows, int bandRows, LabelMask mask, float[]? probabilities)
    {
        int C = acc.Length / (bandRows * W);
        long bandPlane = (long)bandRows * W, imagePlane = (long)H * W;
        for (int r = 0; r < rows; r++)
            for (int x = 0; x < W; x++)
            {
                long i = (long)r * W + x;
                float best = float.NegativeInfinity; int arg = 0;
                for (int c = 0; c < C; c++)
                {
                    float v = acc[c * bandPlane + i];
                    if (v > best) { best = v; arg = c; }
                }
                long pixel = (long)(bandY + r) * W + x;
                mask.Labels[pixel] = (byte)arg;
                if (probabilities != null)
                {
                    float inv = 1f / weight[i];
                    for (int c = 0; c < C; c++) probabilities[c * imagePlane + pixel] = acc[c * bandPlane + i] * inv;
                }
            }
    }

    /// <summary>Drops the first <paramref name="rows"/> band rows: later rows move up, the freed rows are zeroed.</summary>
    static void Shift(float[] acc, float[] weight, int C, int W, int bandRows, int rows)
    {
        if (rows >= bandRows) { Array.Clear(acc); Array.Clear(weight); return; }
        long keep = (long)(bandRows - rows) * W, drop = (long)rows * W, bandPlane = (long)bandRows * W;
        for (int c = 0; c <= C; c++)
        {
            var buf = c < C ? acc : weight;
            long start = c < C ? c * bandPlane : 0;
            Array.Copy(buf, start + drop, buf, start, keep);
            Array.Clear(buf, (int)(start + keep), (int)drop);
        }
    }
}
