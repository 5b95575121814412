using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SharpSeg.Configuration;
using SharpSeg.Data;
using SharpSeg.Imaging;
using SharpSeg.IO;
using SharpSeg.Models;
using SharpSeg.Onnx;
using SharpSeg.Tests.Data;
using SharpSeg.Tests.Fuzz;
using SharpSeg.Training;
using SkiaSharp;
using TorchSharp;
using Xunit;
using SharpSeg.Checkpoints;
using SharpSeg.Inference;
using SharpSeg.Curation.Embedding;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Tests.IO;

/// <summary>
/// Every reader checks what a file claims (sizes, counts, lengths) before it allocates for it, and says so in one line
/// naming the file: the pixel limit in the image readers, caps and CRCs in checkpoints, checked metadata, contiguous
/// safetensors, bounded .npy headers, bounded YAML.
/// </summary>
public sealed class BoundedReaderTests
{
    static string TempFile(string name, byte[] bytes)
    {
        string path = Path.Combine(TestPaths.NewTempDir("bounded"), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ---- pixel limit ----

    [Fact]
    public void PngSizeBombIsRefusedFromItsHeaderWithoutAllocating()
    {
        string path = TempFile("bomb.png", HandPng.SizeBomb(100_000, 100_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var decode = Assert.Throws<PixelLimitException>(() => PngCodec.Decode(path));
        var load = Assert.Throws<PixelLimitException>(() => ImageFile.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the readers allocated for the claimed size");
        foreach (var e in new[] { decode, load })
            Assert.Equal($"{path}: image header claims 100000x100000 = 10000 M pixels, over the limit of 256 M; the file is damaged or hostile, or, if the image is real, raise the limit (--max-pixels N on the command line, data.max_pixels in a training recipe) or tile it into smaller files.", e.Message);
    }

    [Fact]
    public void PngWhoseDataCannotHoldItsPixelsIsRefusedWithinTheLimit()
    {
        string path = TempFile("small-data.png", HandPng.SizeBomb(16_000, 16_000)); // 256 M pixels: within the default limit
        var e = Assert.Throws<SharpSegException>(() => PngCodec.Decode(path));
        Assert.Contains("bytes of compressed data cannot hold the 16000x16000 pixels its header claims", e.Message);
        Assert.Contains("cannot hold", Assert.Throws<SharpSegException>(() => ImageFile.Load(path)).Message);
    }

    [Fact]
    public void ThePixelLimitIsOneSettingForPngCodecAndSkiaAndCanBeRaised()
    {
        string png = TempFile("gray.png", HandPng.Build(40, 30, 8, 0, false, (x, y, _) => x + y));
        using var bitmap = new SKBitmap(new SKImageInfo(40, 30));
        string jpeg = TempFile("photo.jpg", bitmap.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray());
        var previous = PixelLimit.MaxPixels;
        try
        {
            PixelLimit.MaxPixels = 1000; // 40 × 30 = 1200
            Assert.Contains("40x30 = 1200 pixels, over the limit of 1000", Assert.Throws<PixelLimitException>(() => PngCodec.Decode(png)).Message);
            Assert.Contains("40x30 = 1200 pixels, over the limit of 1000", Assert.Throws<PixelLimitException>(() => ImageFile.Load(png)).Message);
            Assert.Contains("40x30 = 1200 pixels, over the limit of 1000", Assert.Throws<PixelLimitException>(() => ImageFile.Load(jpeg)).Message);
            PixelLimit.MaxPixels = 1200;
            Assert.Equal(40, PngCodec.Decode(png).Width);
            Assert.Equal(40, ImageFile.Load(jpeg).Width);
        }
        finally { PixelLimit.MaxPixels = previous; }
        Assert.Equal(500_000_000, PixelLimit.Parse("500M", "--max-pixels"));
        Assert.Equal(1_500, PixelLimit.Parse("1.5k", "--max-pixels"));
        Assert.Contains("--max-pixels must be a positive number", Assert.Throws<SharpSegException>(() => PixelLimit.Parse("-3", "--max-pixels")).Message);
    }

    [Fact]
    public void TheRecipeAndTheCommandLineSetTheLimit()
    {
        var previous = PixelLimit.MaxPixels;
        try
        {
            TrainingRecipe.Load(null, ["data.dataset=x.yaml", "data.max_pixels=2K"]);
            Assert.Equal(2000, PixelLimit.MaxPixels);
            Assert.Contains("data.max_pixels must be a positive number", Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, ["data.max_pixels=lots"])).Message);
        }
        finally { PixelLimit.MaxPixels = previous; }

        var d = new TinyDataset("limit-cli");
        d.Image("img/a.png", 40, 30);
        d.GrayMask("lbl/a.png", 40, 30, 0, 1);
        var refused = CliRunner.Run("data", "init", "--images", d.PathOf("img"), "--masks", d.PathOf("lbl"), "--out", d.PathOf("d.yaml"), "--max-pixels", "1000");
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"error: {d.PathOf("lbl/a.png")}: image header claims 40x30 = 1200 pixels, over the limit of 1000", refused.StdErr.Trim());
        var raised = CliRunner.Run("data", "init", "--images", d.PathOf("img"), "--masks", d.PathOf("lbl"), "--out", d.PathOf("d.yaml"), "--max-pixels", "1200");
        Assert.True(raised.ExitCode == 0, raised.ToString());
    }

    [Fact]
    public void ImagesTooLargeForOneArrayAreAUserErrorNotAnOverflow()
    {
        Assert.Contains("larger than SharpSeg holds in one piece", Assert.Throws<SharpSegException>(() => new RgbImage(50_000, 50_000, 3)).Message);
        Assert.Contains("larger than SharpSeg holds in one piece", Assert.Throws<SharpSegException>(() => new LabelMask(70_000, 70_000)).Message);
    }

    // ---- checkpoints ----

    static readonly ModelConfig Tiny = new() { Depth = 1, BaseWidth = 4, NumClasses = 2 };

    static CheckpointInfo Info(ModelConfig config) => new()
    {
        Model = JsonSerializer.SerializeToNode(config)!.AsObject(),
        Classes = new ClassTable(Enumerable.Range(0, config.NumClasses).Select(i => new ClassInfo($"c{i}", new Rgb((byte)i, 0, 0), null)).ToList()),
        Mean = [0.5], Std = [0.25],
    };

    /// <summary>A checkpoint whose entries are stored uncompressed, so that a byte of the weights can be changed in place.</summary>
    static (string Path, int ModelDataStart, int ModelDataLength) StoredCheckpoint()
    {
        string dir = TestPaths.NewTempDir("stored-ckpt");
        string deflated = Path.Combine(dir, "deflated.ckpt"), stored = Path.Combine(dir, "stored.ckpt");
        using (var model = ModelZoo.Create(Tiny)) Checkpoint.Save(deflated, model, Info(Tiny));
        using (var source = ZipFile.OpenRead(deflated))
        using (var target = ZipFile.Open(stored, ZipArchiveMode.Create))
            foreach (var e in source.Entries)
            {
                using var from = e.Open();
                using var to = target.CreateEntry(e.FullName, CompressionLevel.NoCompression).Open();
                from.CopyTo(to);
            }
        byte[] bytes = File.ReadAllBytes(stored);
        for (int pos = 0; ; )
        {
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 26)), extra = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 28));
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 18));
            if (Encoding.ASCII.GetString(bytes, pos + 30, nameLength) == "model.bin") return (stored, pos + 30 + nameLength + extra, size);
            pos += 30 + nameLength + extra + size;
        }
    }

    [Fact]
    public void AFlippedBitInCheckpointWeightsIsCaughtByTheCrc()
    {
        var (path, start, length) = StoredCheckpoint();
        Assert.Equal(2, Checkpoint.Load(path).Info.Classes.Count); // intact: loads
        byte[] bytes = File.ReadAllBytes(path);
        bytes[start + length - 9] ^= 0x04; // a bit of the last weight: the zip still opens and the state dict still parses
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SharpSegException>(() => Checkpoint.Load(path));
        Assert.Equal($"{path}: checkpoint entry 'model.bin' is damaged (CRC mismatch: its bytes changed since it was written); re-copy the file or use another checkpoint.", e.Message);
    }

    [Fact]
    public void CheckpointMetadataIsCheckedBeforeAnyModelIsBuilt()
    {
        static string Saved(CheckpointInfo info)
        {
            string path = Path.Combine(TestPaths.NewTempDir("ckpt-info"), "m.ckpt");
            using var model = ModelZoo.Create(Tiny);
            Checkpoint.Save(path, model, info);
            return path;
        }
        // The class table's type cannot hold a bad colour, so that case is written as the JSON a damaged file holds.
        static string SavedWithClasses(CheckpointInfo info, string classesJson)
        {
            string path = Path.Combine(TestPaths.NewTempDir("ckpt-info"), "m.ckpt");
            using var model = ModelZoo.Create(Tiny);
            var node = JsonSerializer.SerializeToNode(info)!.AsObject();
            node["classes"] = System.Text.Json.Nodes.JsonNode.Parse(classesJson);
            CheckpointArchive.Write(path, node, [("model.bin", model)]);
            return path;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string huge = Saved(Info(Tiny) with { Model = JsonSerializer.SerializeToNode(Tiny with { BaseWidth = 100_000, Depth = 8 })!.AsObject() });
        Assert.Contains("model.base_width 100000 at depth 8 gives 25600000 channels in the deepest stage, more than 4096", Assert.Throws<SharpSegException>(() => Checkpoint.Load(huge)).Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the refused model was built");
        Assert.Contains("class 1: color must be 3 values 0..255, as [r, g, b]", Assert.Throws<SharpSegException>(() => Checkpoint.Load(SavedWithClasses(Info(Tiny), """[{"name": "a", "color": [1, 2, 3]}, {"name": "b", "color": [1, 2]}]"""))).Message);
        Assert.Contains("inference_scale 1000 is outside (0, 4]", Assert.Throws<SharpSegException>(() => Checkpoint.Load(Saved(Info(Tiny) with { InferenceScale = 1000 }))).Message);
        Assert.Contains("3 classes for a model of 2", Assert.Throws<SharpSegException>(() => Checkpoint.Load(Saved(Info(Tiny) with { Classes = new ClassTable([new("a", new Rgb(1, 2, 3), null), new("b", new Rgb(1, 2, 3), null), new("c", new Rgb(1, 2, 3), null)]) }))).Message);
        Assert.Contains("std must be positive", Assert.Throws<SharpSegException>(() => Checkpoint.Load(Saved(Info(Tiny) with { Std = [0] }))).Message);
        Assert.Contains("mean has 2 values for 3 channels", Assert.Throws<SharpSegException>(() => Checkpoint.Load(Saved(Info(Tiny) with { Mean = [0.5, 0.5] }))).Message);
        // A gray model trained with ImageNet's three values uses the first: a valid checkpoint.
        var gray = Tiny with { InChannels = 1 };
        using (var grayModel = ModelZoo.Create(gray))
        {
            string path = Path.Combine(TestPaths.NewTempDir("ckpt-gray"), "g.ckpt");
            Checkpoint.Save(path, grayModel, Info(gray) with { ImageChannels = 1, Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225] });
            Assert.Equal(1, Checkpoint.Load(path).Info.ImageChannels);
        }
        Assert.Contains("model.decoder_channels must be up to 16 entries of 1..4096", Assert.Throws<SharpSegException>(() => Checkpoint.Load(Saved(Info(Tiny) with { Model = JsonSerializer.SerializeToNode(Tiny with { DecoderChannels = [8, 1_000_000] })!.AsObject() }))).Message);
    }

    [Fact]
    public void OnnxMetadataIsCheckedLikeACheckpoints()
    {
        var props = new Dictionary<string, string>
        {
            ["sharpseg_format"] = OnnxMetadata.FormatVersion, ["model_config"] = JsonSerializer.Serialize(Tiny), ["ignore_index"] = "255", ["image_channels"] = "3",
            ["classes"] = JsonSerializer.Serialize(Info(Tiny).Classes), ["mean"] = "[0.5]", ["std"] = "[0.25]", ["inference_scale"] = "1", ["output"] = "logits",
        };
        Assert.Equal(2, OnnxMetadata.Read(props, "m.onnx").Info.Classes.Count);
        props["inference_scale"] = "1e9";
        Assert.StartsWith("m.onnx: the checkpoint's metadata is invalid (inference_scale 1000000000 is outside (0, 4])", Assert.Throws<SharpSegException>(() => OnnxMetadata.Read(props, "m.onnx")).Message);
        props["inference_scale"] = "1";
        props["image_channels"] = "99999999999";
        Assert.StartsWith("m.onnx: SharpSeg ONNX metadata is damaged", Assert.Throws<SharpSegException>(() => OnnxMetadata.Read(props, "m.onnx")).Message);
    }

    // ---- safetensors ----

    static string SafetensorsFile(string json, int dataBytes)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return TempFile("w.safetensors", bytes);
    }

    [Theory]
    [InlineData("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}""", 8, "tensor 'b' overlaps the data of another tensor")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 12, "overlaps the data of another tensor")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", 8, "the data has a gap before tensor 'a'")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}""", 8, "4 bytes after the last tensor's data")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [-2, -1], "data_offsets": [0, 8]}}""", 8, "has shape [-2, -1]; dimensions must be 0 or more")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 8]}}""", 8, "whose size overflows")]
    public void SafetensorsRangesMustBeContiguousAndShapesSane(string header, int dataBytes, string expected)
    {
        string path = SafetensorsFile(header, dataBytes);
        var e = Assert.Throws<SharpSegException>(() => Safetensors.Read(path));
        Assert.StartsWith($"{path}: not a valid safetensors file (", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void SafetensorsWrittenBySharpSegStillRead()
    {
        string path = Path.Combine(TestPaths.NewTempDir("st"), "w.safetensors");
        Safetensors.Write(path, [("a", torch.ones(2, 3)), ("b", torch.zeros(4, dtype: torch.int64)), ("empty", torch.zeros(0))]);
        var (tensors, _) = Safetensors.Read(path);
        Assert.Equal(["a", "b", "empty"], tensors.Select(t => t.Key));
    }

    // ---- .npy ----

    [Theory]
    [InlineData(0xFFFFFFFFu, "claims 4294967295 bytes, outside 1..")]
    [InlineData(0x7FFFFFF0u, "claims 2147483632 bytes, outside 1..")]
    [InlineData(0u, "claims 0 bytes, outside 1..")]
    public void NpyHeaderLengthIsBoundedByTheFile(uint length, string expected)
    {
        var bytes = new byte[12 + 64];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0 }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), length);
        string path = TempFile("e.npy", bytes);
        using var s = File.OpenRead(path);
        Assert.Contains(expected, Assert.Throws<SharpSegException>(() => NpyFormat.ReadHeader(s, path)).Message);
    }

    [Fact]
    public void NpyWithZeroFloatsPerRowIsRefused()
    {
        string path = TempFile("zero.npy", Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(NpyFormat.Header(4, 1)).Replace("(4, 1)", "(4, 0)")));
        using var s = File.OpenRead(path);
        Assert.Contains("is not [images, dim] with 1 to", Assert.Throws<SharpSegException>(() => NpyFormat.ReadHeader(s, path)).Message);
    }

    // ---- YAML ----

    [Fact]
    public void BillionLaughsAndDeepNestingAreOneLineErrors()
    {
        var laughs = Assert.Throws<SharpSegException>(() => ConfigTree.Parse(HostileFileGenerator.BillionLaughs("model"), "r.yaml"));
        Assert.Equal("r.yaml:5: YAML expands to more than 100000 nodes (aliases count as copies of their anchors); SharpSeg's files need a few hundred, so this is not a recipe or dataset file.", laughs.Message);
        var deep = Assert.Throws<SharpSegException>(() => ConfigTree.Parse(HostileFileGenerator.DeepNesting("model"), "r.yaml"));
        Assert.StartsWith("r.yaml:1: YAML nests deeper than 64 levels", deep.Message);
        var d = new TinyDataset("yaml-laughs");
        Assert.Contains("expands to more than 100000 nodes", Assert.Throws<SharpSegException>(() => DatasetSpec.Load(d.Yaml(HostileFileGenerator.BillionLaughs("classes")))).Message);
    }

    [Fact]
    public void OrdinaryAnchorsAndAliasesStillWork()
    {
        var tree = ConfigTree.Parse("defaults: &d { lr: 0.5 }\nmodel: *d\n", "a.yaml");
        Assert.Equal(0.5, tree.GetDouble("model.lr"));
    }
}
