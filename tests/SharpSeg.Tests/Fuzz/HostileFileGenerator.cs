using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using SharpSeg.IO;
using SharpSeg.Models;
using SharpSeg.Onnx;
using SharpSeg.Tests.Onnx;
using SharpSeg.Training;
using SkiaSharp;
using SharpSeg.Checkpoints;
using SharpSeg.Curation.Embedding;

namespace SharpSeg.Tests.Fuzz;

/// <summary>
/// One broken file: a name (format-mutation), its bytes, its extension, and whether every reader must refuse it
/// (false where the damage can leave a valid file: a bit flipped in pixel or weight data, a YAML file cut at a line
/// that still parses, an embeddings file that lost rows, which the format allows for resuming).
/// </summary>
public sealed record HostileCase(string Name, string Format, byte[] Bytes, string Extension, bool MustFail)
{
    public override string ToString() => Name;
}

/// <summary>
/// Makes valid seed files of every format SharpSeg reads, and from each the broken variants the fuzz suite feeds to the
/// public commands: cut at every 10 % of its length, single bits flipped at deterministic positions, and headers
/// rewritten to claim huge, negative or inconsistent sizes. Everything is made at test time from tiny data.
/// </summary>
public static class HostileFileGenerator
{
    /// <summary>The tiny model every seed checkpoint/export/weights file holds (3 classes, as <see cref="Data.TinyDataset.Clean"/>).</summary>
    public static readonly ModelConfig TinyModel = new() { Depth = 1, BaseWidth = 4, NumClasses = 3, BatchNorm = true };

    /// <summary>Truncations, bit flips and the given header attacks of one seed.</summary>
    public static IEnumerable<HostileCase> Mutations(string format, string extension, byte[] seed, Func<int, bool> flipMustFail,
        Func<int, bool> cutMustFail, IEnumerable<(string Name, byte[] Bytes)> headerAttacks, int flips = 6)
    {
        for (int p = 10; p <= 90; p += 10)
        {
            int length = (int)(seed.LongLength * p / 100);
            yield return new HostileCase($"{format}-cut{p}", format, seed[..length], extension, cutMustFail(length));
        }
        var random = new Random(format.Aggregate(17, (h, c) => h * 31 + c)); // the same positions in every run
        for (int i = 0; i < flips; i++)
        {
            int at = random.Next(seed.Length), bit = random.Next(8);
            var bytes = (byte[])seed.Clone();
            bytes[at] ^= (byte)(1 << bit);
            yield return new HostileCase($"{format}-flip{at}.{bit}", format, bytes, extension, flipMustFail(at));
        }
        foreach (var (name, bytes) in headerAttacks) yield return new HostileCase($"{format}-{name}", format, bytes, extension, true);
    }

    // ---- PNG ----

    /// <summary>Seeds: 8- and 16-bit gray, 2- and 8-bit palette, Adam7-interlaced RGB (16 × 12).</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> PngSeeds()
    {
        (byte, byte, byte)[] palette = [(0, 0, 0), (128, 64, 128), (0, 0, 142), (70, 70, 70)];
        yield return ("png-gray8", HandPng.Build(16, 12, 8, 0, false, (x, y, _) => (x + y) % 3));
        yield return ("png-gray16", HandPng.Build(16, 12, 16, 0, false, (x, y, _) => (x * y) % 3));
        yield return ("png-palette2", HandPng.Build(16, 12, 2, 3, false, (x, y, _) => (x / 4 + y) % 4, palette));
        yield return ("png-palette8", HandPng.Build(16, 12, 8, 3, false, (x, y, _) => (x + y / 3) % 3, palette));
        yield return ("png-adam7", HandPng.Build(16, 12, 8, 2, true, (x, y, c) => c == 0 ? x * 16 : c == 1 ? y * 20 : 128));
    }

    public static IEnumerable<HostileCase> PngCases()
    {
        foreach (var (name, seed) in PngSeeds())
        {
            // Every byte after the signature is under a chunk CRC or a length, so every flip must be refused.
            var attacks = name != "png-gray8" ? [] : new List<(string, byte[])>
            {
                ("ihdr-100000x100000", HandPng.SizeBomb(100_000, 100_000)),
                ("ihdr-4294967295x1", HandPng.SizeBomb(uint.MaxValue, 1)),
                ("ihdr-16000x16000-tiny-data", HandPng.SizeBomb(16_000, 16_000)),
                ("ihdr-0x0", HandPng.SizeBomb(0, 0)),
                ("idat-length-huge", PatchUInt32BigEndian(seed, ChunkOffset(seed, "IDAT"), 0xFFFFFFF0)),
                ("ihdr-length-negative", PatchUInt32BigEndian(seed, 8, 0x80000000)),
            };
            foreach (var c in Mutations(name, ".png", seed, _ => true, _ => true, attacks, flips: 4)) yield return c;
        }
    }

    /// <summary>Byte offset of the first chunk of <paramref name="type"/> (its length field).</summary>
    public static int ChunkOffset(byte[] png, string type)
    {
        int pos = 8;
        while (pos + 8 <= png.Length)
        {
            if (Encoding.ASCII.GetString(png, pos + 4, 4) == type) return pos;
            pos += 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
        }
        throw new ArgumentException($"no {type} chunk");
    }

    static byte[] PatchUInt32BigEndian(byte[] bytes, int at, uint value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at), value);
        return copy;
    }

    // ---- JPEG ----

    public static byte[] JpegSeed()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(16, 12, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 16; x++) bitmap.SetPixel(x, y, new SKColor((byte)(x * 16), (byte)(y * 20), 90));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    public static IEnumerable<HostileCase> JpegCases()
    {
        var seed = JpegSeed();
        int sof = IndexOf(seed, [0xFF, 0xC0]);
        var huge = (byte[])seed.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(huge.AsSpan(sof + 5), 20_000); // height
        BinaryPrimitives.WriteUInt16BigEndian(huge.AsSpan(sof + 7), 20_000); // width: 400 megapixels
        // Flips in the entropy-coded data decode to other pixels: JPEG has no checksum, so they may pass.
        return Mutations("jpeg", ".jpg", seed, _ => false, _ => true, [("sof-20000x20000", huge)]);
    }

    // ---- TIFF ----

    /// <summary>Seeds written by LibTiff.NET: 8-bit gray in LZW strips, 16-bit gray in Deflate tiles, a 4-bit palette,
    /// RGB in separate planes (16 × 12).</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> TiffSeeds()
    {
        using var temp = new TempFile(".tif");
        byte[] Make(Imaging.TestTiff.Page page) { Imaging.TestTiff.Write(temp.Path, page); return File.ReadAllBytes(temp.Path); }
        var gray = Imaging.TestTiff.Samples(16, 12, 1, (x, y, _) => (x + y) % 3);
        ushort[] r = new ushort[16], g = new ushort[16], b = new ushort[16];
        (r[1], g[1], b[1]) = (128 * 257, 64 * 257, 128 * 257);
        yield return ("tiff-gray8", Make(new(16, 12, 1, 8, BitMiracle.LibTiff.Classic.Photometric.MINISBLACK, gray)));
        yield return ("tiff-gray16-tiles", Make(new(16, 12, 1, 16, BitMiracle.LibTiff.Classic.Photometric.MINISBLACK, gray)
            { TileSize = 16, Compression = BitMiracle.LibTiff.Classic.Compression.ADOBE_DEFLATE }));
        yield return ("tiff-palette4", Make(new(16, 12, 1, 4, BitMiracle.LibTiff.Classic.Photometric.PALETTE, gray) { ColorMap = (r, g, b) }));
        yield return ("tiff-rgb-planar", Make(new(16, 12, 3, 8, BitMiracle.LibTiff.Classic.Photometric.RGB,
            Imaging.TestTiff.Samples(16, 12, 3, (x, y, c) => c == 0 ? x * 16 : c == 1 ? y * 20 : 128)) { Planar = true }));
    }

    public static IEnumerable<HostileCase> TiffCases()
    {
        foreach (var (name, seed) in TiffSeeds())
        {
            // TIFF has no checksums: a flipped bit in the pixel data is another valid image, so flips may pass.
            // The directory is written after the pixel data, so every cut loses it and must be refused.
            var attacks = name != "tiff-gray8" ? [] : new List<(string, byte[])>
            {
                ("ifd-100000x100000", PatchTiffTag(seed, 256, 100_000, 257, 100_000)),
                ("ifd-0x0", PatchTiffTag(seed, 256, 0, 257, 0)),
                ("strip-bytes-huge", PatchTiffTag(seed, 279, 0x7FFF_FFF0)),
                ("rows-per-strip-huge", PatchTiffTag(seed, 278, 0x7FFF_FFF0)),
                ("ifd-offset-past-end", PatchUInt32LittleEndian(seed, 4, 0x7FFF_FFF0)),
                ("ifd-entries-65535", PatchUInt16LittleEndianAt(seed, BinaryPrimitives.ReadInt32LittleEndian(seed.AsSpan(4)), 0xFFFF)),
                ("bits-per-sample-13", PatchTiffTag(seed, 258, 13)),
                ("samples-per-pixel-200", PatchTiffTag(seed, 277, 200)),
            };
            foreach (var c in Mutations(name, ".tif", seed, _ => false, _ => true, attacks, flips: 6)) yield return c;
        }
    }

    /// <summary>Rewrites the values of single-value entries of the first IFD (little-endian classic TIFF): tag, value, ….</summary>
    static byte[] PatchTiffTag(byte[] tiff, params int[] tagValues)
    {
        var copy = (byte[])tiff.Clone();
        int ifd = BinaryPrimitives.ReadInt32LittleEndian(copy.AsSpan(4)), entries = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(ifd));
        for (int t = 0; t < tagValues.Length; t += 2)
        {
            bool found = false;
            for (int k = 0; k < entries; k++)
            {
                int e = ifd + 2 + 12 * k;
                if (BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(e)) != tagValues[t]) continue;
                int type = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(e + 2));
                BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(e + 4), 1);   // one value, held in the entry
                if (type == 3) { BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(e + 8), (ushort)Math.Min(tagValues[t + 1], 65535)); BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(e + 10), 0); }
                else BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(e + 8), tagValues[t + 1]);
                found = true;
            }
            if (!found) throw new ArgumentException($"no tag {tagValues[t]} in the seed's first directory");
        }
        return copy;
    }

    static byte[] PatchUInt32LittleEndian(byte[] bytes, int at, uint value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    static byte[] PatchUInt16LittleEndianAt(byte[] bytes, int at, ushort value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    sealed class TempFile(string extension) : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sharpseg-seed-{Guid.NewGuid():N}{extension}");
        public void Dispose() { try { File.Delete(Path); } catch (IOException) { } }
    }

    static int IndexOf(byte[] bytes, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= bytes.Length; i++)
            if (bytes.AsSpan(i, pattern.Length).SequenceEqual(pattern)) return i;
        throw new ArgumentException("pattern not found");
    }

    // ---- checkpoint, ONNX, safetensors ----

    /// <summary>Writes the seed checkpoint, ONNX export and safetensors weights of <see cref="TinyModel"/> into
    /// <paramref name="dir"/>; returns their paths.</summary>
    public static (string Checkpoint, string Onnx, string Safetensors) ModelSeeds(string dir)
    {
        var model = ExportFixture.SettledModel(TinyModel);
        var info = ExportFixture.Info(TinyModel);
        string ckpt = Path.Combine(dir, "seed.ckpt"), onnx = Path.Combine(dir, "seed.onnx"), st = Path.Combine(dir, "seed.safetensors");
        Checkpoint.Save(ckpt, model, info);
        OnnxExporter.Export(model, info, onnx, new OnnxExportOptions());
        Safetensors.Write(st, model.state_dict().Select(kv => (kv.Key, kv.Value)));
        return (ckpt, onnx, st);
    }

    public static IEnumerable<HostileCase> CheckpointCases(byte[] seed)
    {
        var data = EntryDataRanges(seed);
        bool InEntryData(int at) => data.Any(r => at >= r.Start && at < r.End);
        var attacks = new List<(string, byte[])>
        {
            ("model-bin-claims-2GB", PatchCentralSize(seed, "model.bin", 0x7FFFFFF0)),
            ("model-bin-claims-200MB", PatchCentralSize(seed, "model.bin", 200_000_000)),
            ("model-bin-claims-1-byte", PatchCentralSize(seed, "model.bin", 1)),
            ("info-base-width-1e6", RewriteInfo(seed, o => o["model"]!["base_width"] = 1_000_000)),
            ("info-colour-of-2", RewriteInfo(seed, o => o["classes"]![0]!["color"] = Convert.ToBase64String([1, 2]))), // byte[] is base64 in JSON
            ("info-inference-scale-1e9", RewriteInfo(seed, o => o["inference_scale"] = 1e9)),
            ("info-channels-0", RewriteInfo(seed, o => o["image_channels"] = 0)),
        };
        // The CRC covers every entry's bytes; a flip in the zip's own bookkeeping (a timestamp) may pass.
        return Mutations("ckpt", ".ckpt", seed, InEntryData, _ => true, attacks);
    }

    /// <summary>Where each entry's (compressed) data lies in a zip written with sizes in its local headers.</summary>
    static List<(int Start, int End)> EntryDataRanges(byte[] zip)
    {
        var ranges = new List<(int, int)>();
        int pos = 0;
        while (pos + 30 <= zip.Length && BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(pos)) == 0x04034B50)
        {
            int compressed = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(pos + 18));
            int start = pos + 30 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(pos + 26)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(pos + 28));
            ranges.Add((start, start + compressed));
            pos = start + compressed;
        }
        if (ranges.Count == 0 || ranges.Any(r => r.Item2 <= r.Item1)) throw new InvalidOperationException("seed zip has no local headers with sizes");
        return ranges;
    }

    /// <summary>The zip with the uncompressed size of <paramref name="entry"/> in its central directory set to <paramref name="size"/>.</summary>
    static byte[] PatchCentralSize(byte[] zip, string entry, uint size)
    {
        var copy = (byte[])zip.Clone();
        byte[] name = Encoding.ASCII.GetBytes(entry);
        for (int pos = 0; pos + 46 <= copy.Length; pos++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(pos)) != 0x02014B50) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(pos + 28));
            if (!copy.AsSpan(pos + 46, nameLength).SequenceEqual(name)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(pos + 24), size);
            return copy;
        }
        throw new ArgumentException($"no central directory entry {entry}");
    }

    /// <summary>The checkpoint with its info.json edited (a hostile but well-formed archive: sizes and CRCs right).</summary>
    static byte[] RewriteInfo(byte[] zip, Action<JsonObject> edit)
    {
        var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var e in source.Entries)
            {
                using var from = e.Open();
                using var to = target.CreateEntry(e.FullName).Open();
                if (e.FullName != CheckpointArchive.InfoEntry) { from.CopyTo(to); continue; }
                var info = JsonNode.Parse(from)!.AsObject();
                edit(info);
                to.Write(Encoding.UTF8.GetBytes(info.ToJsonString()));
            }
        return output.ToArray();
    }

    public static IEnumerable<HostileCase> OnnxCases(byte[] seed)
    {
        byte[] WithMetadata(string key, string value)
        {
            var model = global::Onnx.ModelProto.Parser.ParseFrom(seed);
            model.MetadataProps.Single(p => p.Key == key).Value = value;
            return model.ToByteArray();
        }
        var attacks = new List<(string, byte[])>
        {
            ("meta-inference-scale-1e9", WithMetadata("inference_scale", "1e9")),
            ("meta-base-width-1e6", WithMetadata("model_config", new JsonObject { ["architecture"] = "unet", ["encoder"] = "unet", ["num_classes"] = 3, ["depth"] = 1, ["base_width"] = 1_000_000 }.ToJsonString())),
            ("meta-classes-garbage", WithMetadata("classes", "[{\"name\": 1}")),
        };
        // Flips in weights give other weights; protobuf has no checksum.
        return Mutations("onnx", ".onnx", seed, _ => false, _ => true, attacks);
    }

    public static IEnumerable<HostileCase> SafetensorsCases(byte[] seed)
    {
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(seed);
        var header = JsonNode.Parse(seed.AsSpan(8, (int)headerLength))!.AsObject();
        byte[] WithHeader(Action<JsonObject> edit)
        {
            var h = JsonNode.Parse(header.ToJsonString())!.AsObject();
            edit(h);
            byte[] json = Encoding.UTF8.GetBytes(h.ToJsonString());
            var bytes = new byte[8 + json.Length + seed.Length - 8 - headerLength];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
            json.CopyTo(bytes, 8);
            seed.AsSpan(8 + (int)headerLength).CopyTo(bytes.AsSpan(8 + json.Length));
            return bytes;
        }
        var names = header.Select(kv => kv.Key).Where(k => k != "__metadata__").ToList();
        var attacks = new List<(string, byte[])>
        {
            ("header-length-2^64-1", PatchUInt64(seed, ulong.MaxValue)),
            ("header-length-2^40", PatchUInt64(seed, 1UL << 40)),
            ("tensor-negative-dim", WithHeader(h => h[names[0]]!["shape"] = new JsonArray(-1, -4))),
            ("tensor-shape-overflow", WithHeader(h => h[names[0]]!["shape"] = new JsonArray(1L << 40, 1L << 40, 1L << 40))),
            ("tensors-share-bytes", WithHeader(h => h[names[1]]!["data_offsets"] = h[names[0]]!["data_offsets"]!.DeepClone())),
            ("aliases-20000", WithHeader(h =>
            {
                var first = h[names[0]]!.AsObject();
                for (int i = 0; i < 20_000; i++) h[$"alias{i}"] = first.DeepClone();
            })),
        };
        // Flips in the tensor data give other weights (valid); flips in the JSON header must be caught or be harmless.
        return Mutations("safetensors", ".safetensors", seed, _ => false, _ => true, attacks);
    }

    static byte[] PatchUInt64(byte[] bytes, ulong value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy, value);
        return copy;
    }

    // ---- .npy ----

    /// <summary>An embeddings file of 6 rows × 8 floats (the header is <see cref="NpyFormat.HeaderBytes"/> long).</summary>
    public static byte[] NpySeed()
    {
        var ms = new MemoryStream();
        ms.Write(NpyFormat.Header(6, 8));
        var row = new byte[4 * 8];
        for (int r = 0; r < 6; r++)
        {
            for (int c = 0; c < 8; c++) BinaryPrimitives.WriteSingleLittleEndian(row.AsSpan(4 * c), (r + 1) * (c % 3 - 1));
            ms.Write(row);
        }
        return ms.ToArray();
    }

    public static IEnumerable<HostileCase> NpyCases()
    {
        var seed = NpySeed();
        byte[] Version2(uint headerLength)
        {
            var b = new byte[seed.Length + 2];
            seed.AsSpan(0, 8).CopyTo(b);
            b[6] = 2;
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), headerLength);
            seed.AsSpan(10).CopyTo(b.AsSpan(12));
            return b;
        }
        byte[] WithShape(string shape)
        {
            var b = (byte[])seed.Clone();
            string dict = Encoding.ASCII.GetString(b, 10, NpyFormat.HeaderBytes - 10).Replace("(6, 8)", shape);
            Encoding.ASCII.GetBytes(dict.PadRight(NpyFormat.HeaderBytes - 11)[..(NpyFormat.HeaderBytes - 11)] + "\n").CopyTo(b, 10);
            return b;
        }
        var attacks = new List<(string, byte[])>
        {
            ("v2-header-length-negative", Version2(0xFFFFFFFF)),
            ("v2-header-length-2GB", Version2(0x7FFFFFF0)),
            ("v1-header-length-beyond-file", PatchUInt16(seed, 8, 0xFFFF)),
            ("dim-0", WithShape("(6, 0)")),
            ("shape-overflow", WithShape("(99999999999999999999, 8)")),
        };
        // Rows are plain floats and the header is padded text: a flip may leave a valid file. A cut after the header
        // leaves fewer rows, which the format allows (an embedding run that was killed is resumed from them).
        return Mutations("npy", ".npy", seed, _ => false, length => length < NpyFormat.HeaderBytes, attacks);
    }

    static byte[] PatchUInt16(byte[] bytes, int at, ushort value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    // ---- YAML ----

    /// <summary>About 1 KB that expands to 10⁹ nodes when aliases are copied ("billion laughs").</summary>
    public static string BillionLaughs(string key)
    {
        var sb = new StringBuilder();
        sb.AppendLine("a0: &a0 [x, x, x, x, x, x, x, x, x, x]");
        for (int i = 1; i <= 8; i++) sb.AppendLine($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        sb.AppendLine($"{key}: *a8");
        return sb.ToString();
    }

    /// <summary>A flow list nested 100,000 deep: YamlDotNet's tree builder would overflow the stack.</summary>
    public static string DeepNesting(string key) => $"{key}: " + new string('[', 100_000) + new string(']', 100_000) + "\n";

    public static IEnumerable<HostileCase> YamlCases(string format, string seed, string topKey)
    {
        var bytes = Encoding.UTF8.GetBytes(seed);
        var attacks = new List<(string, byte[])>
        {
            ("billion-laughs", Encoding.UTF8.GetBytes(BillionLaughs(topKey))),
            ("deep-nesting", Encoding.UTF8.GetBytes(DeepNesting(topKey))),
            ("key-twice", Encoding.UTF8.GetBytes(seed + "\n" + seed)),
        };
        // A YAML file cut at a line end, or with a letter changed in a comment, can still be valid.
        return Mutations(format, ".yaml", bytes, _ => false, _ => false, attacks);
    }
}
