using System.Globalization;
using System.Buffers.Binary;
using System.IO.Compression;

namespace SharpSeg.Imaging;

/// <summary>
/// A NIfTI-1 volume (<c>.nii</c> or gzip-compressed <c>.nii.gz</c>), the format of medical imaging datasets (the
/// Medical Segmentation Decathlon, KiTS, BraTS, nnU-Net's raw data): its size along x, y, z (and channels, the fourth
/// dimension), voxel spacing, and its voxels as 32-bit floats (exact for integers up to 2^24) with the header's <c>scl_slope</c>/<c>scl_inter</c> applied.
/// Every data type NIfTI stores as plain numbers is read (8- to 64-bit integers, signed or not, 32- and 64-bit floats),
/// either byte order. NIfTI-2, Analyze <c>.hdr/.img</c> pairs, complex and RGB voxel types and damaged files are one
/// line naming the file.
/// </summary>
public sealed class NiftiVolume
{
    NiftiVolume(string path, int nx, int ny, int nz, int channels, float[] spacing, float[] voxels, bool integral, byte[] header, bool little)
    {
        Path = path; Nx = nx; Ny = ny; Nz = nz; Channels = channels; Spacing = spacing; Voxels = voxels; IsIntegral = integral;
        _header = header; _little = little;
    }

    readonly byte[] _header;
    readonly bool _little;

    /// <summary>The file read.</summary>
    public string Path { get; }
    /// <summary>Voxels along the first axis (x, the fastest-varying in the file).</summary>
    public int Nx { get; }
    /// <summary>Voxels along the second axis (y).</summary>
    public int Ny { get; }
    /// <summary>Voxels along the third axis (z; 1 for a 2-D image).</summary>
    public int Nz { get; }
    /// <summary>The fourth dimension: channels (modalities, as in BraTS' four MRI sequences), or 1.</summary>
    public int Channels { get; }
    /// <summary>Voxel size along x, y, z, as the header gives it (<c>pixdim[1..3]</c>, usually millimetres).</summary>
    public IReadOnlyList<float> Spacing { get; }
    /// <summary>Whether the stored type is an integer type (and slope/intercept keep whole numbers whole).</summary>
    public bool IsIntegral { get; }

    /// <summary>The voxels, x fastest, then y, z, channel; scaled by <c>scl_slope</c>/<c>scl_inter</c> where the header
    /// sets a slope.</summary>
    public float[] Voxels { get; }

    /// <summary>The value at (x, y, z) of <paramref name="channel"/>.</summary>
    public float this[int x, int y, int z, int channel = 0] => Voxels[(((long)channel * Nz + z) * Ny + y) * Nx + x];

    /// <summary>Size along axis 0, 1 or 2.</summary>
    public int Size(int axis) => axis switch { 0 => Nx, 1 => Ny, 2 => Nz, _ => throw new ArgumentOutOfRangeException(nameof(axis)) };

    /// <summary>The size of a slice across <paramref name="axis"/>: columns along the first remaining axis, rows along the
    /// second.</summary>
    public (int Cols, int Rows) PlaneSize(int axis) => axis switch { 2 => (Nx, Ny), 1 => (Nx, Nz), 0 => (Ny, Nz), _ => throw new ArgumentOutOfRangeException(nameof(axis)) };

    /// <summary><see cref="PlaneSize"/>, checked against <see cref="PixelLimit.MaxPixels"/>: slices past it are one line
    /// naming this file.</summary>
    public (int Cols, int Rows) SlicePlaneWithinLimit(int axis)
    {
        var (cols, rows) = PlaneSize(axis);
        if ((long)cols * rows > PixelLimit.MaxPixels)
            throw new PixelLimitException($"{Path}: slices of {cols} × {rows} voxels exceed the {PixelLimit.MaxPixels}-pixel limit; raise it with {PixelLimit.HowToRaise}.");
        return (cols, rows);
    }

    /// <summary>The name of slice <paramref name="index"/> of <paramref name="count"/> across <paramref name="axis"/> of
    /// scan <paramref name="scan"/>: <c>la_003_z045</c> (at least three digits), as <c>data from-nifti</c> writes it.</summary>
    public static string SliceName(string scan, int axis, int index, int count) =>
        $"{scan}_{"xyz"[axis]}{index.ToString("D" + Math.Max(3, (count - 1).ToString(CultureInfo.InvariantCulture).Length), CultureInfo.InvariantCulture)}";

    /// <summary>The voxel (channel 0) at column <paramref name="col"/>, row <paramref name="row"/> of slice
    /// <paramref name="slice"/> across <paramref name="axis"/>, as nibabel users view a slice (<c>np.rot90(vol[:, :, z])</c>):
    /// columns run along the first remaining axis, rows along the second from its end (the top row is its last voxel).</summary>
    public long VoxelIndex(int axis, int slice, int col, int row)
    {
        var (_, rows) = PlaneSize(axis);
        int up = rows - 1 - row;
        var (x, y, z) = axis switch { 2 => (col, up, slice), 1 => (col, slice, up), _ => (slice, col, up) };
        return ((long)z * Ny + y) * Nx + x;
    }

    /// <summary>The intensities a channel's slices map to black and white by default: 0..255 as they are for a volume of
    /// whole numbers in that range, else the channel's 0.5th..99.5th percentile (of an even sample of 2 M voxels).</summary>
    public (double Low, double High) DefaultWindow(int channel)
    {
        long per = (long)Nx * Ny * Nz, start = channel * per;
        float min = float.MaxValue, max = float.MinValue;
        bool whole = true;
        for (long i = start; i < start + per; i++)
        {
            float x = Voxels[i];
            if (x < min) min = x;
            if (x > max) max = x;
            whole &= x == MathF.Floor(x);
        }
        if (whole && min >= 0 && max <= 255) return (0, 255);
        long step = Math.Max(1, per / 2_000_000);
        var sample = new List<float>();
        for (long i = start; i < start + per; i += step) if (float.IsFinite(Voxels[i])) sample.Add(Voxels[i]);
        sample.Sort();
        if (sample.Count == 0) return (0, 1);
        double low = sample[(int)(0.005 * (sample.Count - 1))], high = sample[(int)Math.Ceiling(0.995 * (sample.Count - 1))];
        return high > low ? (low, high) : (low, low + 1);
    }

    /// <summary>Slice <paramref name="slice"/> across <paramref name="axis"/> as an 8-bit image: one channel per entry of
    /// <paramref name="channels"/> (a volume, its channel, and the intensities mapped to 0 and 255), 1 or 3; a single
    /// channel is repeated into <paramref name="outChannels"/> = 3.</summary>
    public static RgbImage SliceImage(IReadOnlyList<(NiftiVolume Volume, int Channel, (double Low, double High) Window)> channels, int axis, int slice, int outChannels)
    {
        var first = channels[0].Volume;
        var (cols, rows) = first.PlaneSize(axis);
        var image = new RgbImage(cols, rows, outChannels);
        for (int c = 0; c < outChannels; c++)
        {
            var (volume, channel, (low, high)) = channels[channels.Count == 1 ? 0 : c];
            double scale = 255.0 / (high - low);
            long offset = channel * (long)volume.Nx * volume.Ny * volume.Nz;
            for (int r = 0; r < rows; r++)
                for (int col = 0; col < cols; col++)
                    image.Pixels[(r * cols + col) * outChannels + c] = (byte)Math.Clamp(Math.Round((volume.Voxels[offset + volume.VoxelIndex(axis, slice, col, r)] - low) * scale), 0, 255);
        }
        return image;
    }

    /// <summary>Writes <paramref name="labels"/> (class indices, one byte per voxel, x fastest, this volume's x × y × z) as a
    /// NIfTI-1 label volume with this volume's geometry (its header's spacing, qform and sform), gzip-compressed when
    /// <paramref name="path"/> ends in .gz: a segmentation that overlays the scan in ITK-SNAP or 3D Slicer. Class k is
    /// written as <paramref name="values"/>[k] where given (the training labels' values, <see cref="VolumeSlicing.LabelValues"/>),
    /// else as k; 8-bit where every value fits, else 16-bit.</summary>
    public void WriteLabels(string path, byte[] labels, IReadOnlyList<int>? values = null)
    {
        if (labels.LongLength != (long)Nx * Ny * Nz) throw new ArgumentException($"{labels.Length} labels for {Nx} × {Ny} × {Nz} voxels");
        int[] map = Enumerable.Range(0, 256).Select(k => values != null && k < values.Count ? values[k] : k).ToArray();
        var present = new bool[256];
        foreach (byte k in labels) present[k] = true;
        int max = Enumerable.Range(0, 256).Where(k => present[k]).Select(k => map[k]).DefaultIfEmpty(0).Max();
        bool wide = values != null && values.Any(v => v > 255);
        var h = (byte[])_header.Clone();
        void I16(int at, short v) { if (_little) BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(at), v); else BinaryPrimitives.WriteInt16BigEndian(h.AsSpan(at), v); }
        void F32(int at, float v) { if (_little) BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(at), v); else BinaryPrimitives.WriteSingleBigEndian(h.AsSpan(at), v); }
        I16(40, 3); I16(48, 1); I16(50, 1); I16(52, 1); I16(54, 1);   // dim: x, y, z; no channels
        if (wide) { I16(70, 512); I16(72, 16); }                       // datatype uint16, bitpix 16
        else { I16(70, 2); I16(72, 8); }                               // datatype uint8, bitpix 8
        F32(108, 352); F32(112, 1); F32(116, 0);                       // vox_offset, scl_slope, scl_inter
        F32(124, max); F32(128, 0);                                    // cal_max, cal_min
        I16(68, 1002);                                                 // intent_code: NIFTI_INTENT_LABEL
        byte[] data;
        if (wide)
        {
            data = new byte[labels.LongLength * 2];
            for (long i = 0; i < labels.LongLength; i++)
                if (_little) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan((int)(i * 2)), (ushort)map[labels[i]]);
                else BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan((int)(i * 2)), (ushort)map[labels[i]]);
        }
        else data = values == null ? labels : Array.ConvertAll(labels, k => (byte)map[k]);
        IO.AtomicFile.Write(path, stream =>
        {
            void WriteTo(Stream s) { s.Write(h); s.Write(new byte[4]); s.Write(data); }   // header, no extensions, voxels
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) { WriteTo(stream); return; }
            using var gz = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
            WriteTo(gz);
        });
    }

    /// <summary>Whether the path names a NIfTI file (<c>.nii</c> or <c>.nii.gz</c>).</summary>
    public static bool IsNiftiName(string path) =>
        path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The file name without <c>.nii</c> or <c>.nii.gz</c>.</summary>
    public static string Stem(string path)
    {
        string name = System.IO.Path.GetFileName(path);
        return name.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase) ? name[..^7] : name.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
    }

    /// <summary>The .nii/.nii.gz files in a folder, sorted (not its subfolders; hidden files, macOS' <c>._x.nii.gz</c>,
    /// left out).</summary>
    public static IReadOnlyList<string> FilesIn(string dir) =>
        Directory.EnumerateFiles(dir).Where(f => IsNiftiName(f) && !ImageFolder.IsHidden(System.IO.Path.GetFileName(f)))
            .Select(System.IO.Path.GetFullPath).Order(StringComparer.Ordinal).ToList();

    /// <summary>The scan a file of nnU-Net's one file per channel belongs to: <c>x</c> for <c>x_0000</c>, <c>x_0001</c>
    /// (a stem ending in an underscore and four digits); null for other stems.</summary>
    public static string? ChannelFileScan(string stem) =>
        stem.Length > 5 && stem[^5] == '_' && stem[^4..].All(char.IsAsciiDigit) ? stem[..^5] : null;

    /// <summary>Most voxels read from one file (held as 32-bit floats): 512 M.</summary>
    public const long MaxVoxels = 512L << 20;

    /// <summary>Reads the volume at <paramref name="path"/>.</summary>
    public static NiftiVolume Read(string path) => Parse(path, Bytes(path, int.MaxValue - 1024));

    /// <summary>The volume's size (x, y, z, channels) from its header alone, checked as <see cref="Read"/> checks it.</summary>
    public static (int Nx, int Ny, int Nz, int Channels) ReadSize(string path)
    {
        var h = ParseHeader(path, Bytes(path, 348));
        return (h.Nx, h.Ny, h.Nz, h.Channels);
    }

    /// <summary>The file's bytes, decompressed where it is gzip, up to <paramref name="limit"/> (the header only, or all).</summary>
    static byte[] Bytes(string path, int limit)
    {
        try
        {
            using var file = File.OpenRead(path);
            var head = new byte[2];
            int got = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            file.Position = 0;
            using Stream s = got == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var ms = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while (ms.Length < limit && (n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, limit - ms.Length))) > 0)
            {
                if (limit == int.MaxValue - 1024 && ms.Length + n >= limit)
                    throw new SharpSegException($"{path}: more than 2 GB of voxels once decompressed; crop or split the volume first.");
                ms.Write(buffer, 0, n);
            }
            return ms.ToArray();
        }
        catch (InvalidDataException e) { throw new SharpSegException($"{path}: damaged gzip data ({e.Message}); download or export the volume again."); }
        catch (IOException e) { throw new SharpSegException($"{path}: cannot be read ({e.Message})."); }
        catch (UnauthorizedAccessException e) { throw new SharpSegException($"{path}: cannot be read ({e.Message})."); }
    }

    sealed record Header(bool Little, int Nx, int Ny, int Nz, int Channels, short Datatype, int Bytes, string TypeName, long Offset, float Slope, float Inter, float[] Spacing);

    static Header ParseHeader(string path, byte[] d)
    {
        if (d.Length < 348) throw new SharpSegException($"{path}: {d.Length} bytes, shorter than a NIfTI header (348); not a NIfTI file, or truncated.");
        bool little = BinaryPrimitives.ReadInt32LittleEndian(d) == 348;
        bool big = BinaryPrimitives.ReadInt32BigEndian(d) == 348;
        int sizeofHdr = BinaryPrimitives.ReadInt32LittleEndian(d);
        if (sizeofHdr == 540 || BinaryPrimitives.ReadInt32BigEndian(d) == 540)
            throw new SharpSegException($"{path}: a NIfTI-2 file; SharpSeg reads NIfTI-1: save it as NIfTI-1 (nibabel.Nifti1Image, SimpleITK writes NIfTI-1).");
        if (!little && !big) throw new SharpSegException($"{path}: not a NIfTI-1 file (its header does not start with 348).");
        string magic = System.Text.Encoding.ASCII.GetString(d, 344, 3);
        if (magic == "ni1") throw new SharpSegException($"{path}: the header of an Analyze-style .hdr/.img pair; save the volume as one .nii or .nii.gz file.");
        if (magic != "n+1") throw new SharpSegException($"{path}: not a NIfTI-1 file (magic '{magic.Replace("\0", "")}', expected 'n+1').");
        short I16(int at) => little ? BinaryPrimitives.ReadInt16LittleEndian(d.AsSpan(at)) : BinaryPrimitives.ReadInt16BigEndian(d.AsSpan(at));
        float F32(int at) => little ? BinaryPrimitives.ReadSingleLittleEndian(d.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(d.AsSpan(at));

        int rank = I16(40);
        if (rank is < 2 or > 7) throw new SharpSegException($"{path}: dim[0] is {rank}; a NIfTI volume has 2 to 7 dimensions.");
        var dims = new int[8];
        for (int i = 1; i <= rank; i++)
        {
            dims[i] = I16(40 + 2 * i);
            if (dims[i] < 1) throw new SharpSegException($"{path}: dim[{i}] is {dims[i]}; every dimension must be at least 1.");
        }
        for (int i = rank + 1; i <= 7; i++) dims[i] = 1;
        if (dims[5] * dims[6] * dims[7] != 1)
            throw new SharpSegException($"{path}: {rank} dimensions ({string.Join(" × ", dims[1..(rank + 1)])}); SharpSeg reads x, y, z and channels (up to 4 dimensions).");
        int nx = dims[1], ny = dims[2], nz = dims[3], channels = dims[4];
        long voxels = (long)nx * ny * nz * channels;
        if (voxels > MaxVoxels) throw new SharpSegException($"{path}: {voxels} voxels, more than {MaxVoxels} SharpSeg reads from one file; crop or split the volume first.");

        short datatype = I16(70);
        var (bytes, name) = datatype switch
        {
            2 => (1, "uint8"), 4 => (2, "int16"), 8 => (4, "int32"), 16 => (4, "float32"), 64 => (8, "float64"),
            256 => (1, "int8"), 512 => (2, "uint16"), 768 => (4, "uint32"), 1024 => (8, "int64"), 1280 => (8, "uint64"),
            _ => (0, datatype switch { 1 => "binary", 32 => "complex64", 128 => "RGB24", 1536 => "float128", 1792 => "complex128", 2048 => "complex256", 2304 => "RGBA32", _ => $"code {datatype}" }),
        };
        if (bytes == 0) throw new SharpSegException($"{path}: voxel type {name}, which SharpSeg does not read; save the volume as integers or float32.");
        long offset = (long)F32(108);
        if (offset < 348) offset = 352;
        var spacing = new[] { Math.Abs(F32(80)), Math.Abs(F32(84)), Math.Abs(F32(88)) };
        return new Header(little, nx, ny, nz, channels, datatype, bytes, name, offset, F32(112), F32(116), spacing);
    }

    static NiftiVolume Parse(string path, byte[] d)
    {
        var (little, nx, ny, nz, channels, datatype, bytes, name, offset, slope, inter, spacing) = ParseHeader(path, d);
        long voxels = (long)nx * ny * nz * channels;
        if (offset + voxels * bytes > d.Length)
            throw new SharpSegException($"{path}: truncated: the header claims {nx} × {ny} × {nz}{(channels > 1 ? $" × {channels}" : "")} {name} voxels from byte {offset}, the file has {d.Length} bytes.");
        bool scaled = slope != 0 && float.IsFinite(slope) && float.IsFinite(inter) && (slope != 1 || inter != 0);

        var values = new float[voxels];
        var span = d.AsSpan((int)offset);
        bool integral = datatype is not (16 or 64);
        for (long i = 0; i < voxels; i++)
        {
            var b = span.Slice((int)(i * bytes), bytes);
            values[i] = (float)(datatype switch
            {
                2 => b[0],
                256 => (sbyte)b[0],
                4 => little ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt16BigEndian(b),
                512 => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b),
                8 => little ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadInt32BigEndian(b),
                768 => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b),
                1024 => little ? BinaryPrimitives.ReadInt64LittleEndian(b) : BinaryPrimitives.ReadInt64BigEndian(b),
                1280 => little ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b),
                16 => little ? BinaryPrimitives.ReadSingleLittleEndian(b) : BinaryPrimitives.ReadSingleBigEndian(b),
                _ => little ? BinaryPrimitives.ReadDoubleLittleEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b),
            });
        }
        if (scaled)
        {
            for (long i = 0; i < voxels; i++) values[i] = (float)((double)values[i] * slope + inter);
            integral &= slope == Math.Round(slope) && inter == Math.Round(inter);
        }
        return new NiftiVolume(path, nx, ny, nz, channels, spacing, values, integral, d[..348], little);
    }
}
