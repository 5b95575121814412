using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpSeg.Imaging;

namespace SharpSeg.Video;

/// <summary>
/// Encodes RGB frames into a video through an <c>ffmpeg</c> pipe: H.264 (yuv420p, CRF 20) in the container the file
/// extension names (.mp4, .mkv, .mov, …), or lossless RGB H.264 when <c>lossless</c> (class-index mask
/// videos, whose values must survive). The preset trades encoding time for file size at the same quality: x264's own
/// presets, or <see cref="DefaultPreset"/>, <c>realtime</c>, made for real time on few cores. <see cref="Dispose"/> closes the pipe and waits for ffmpeg to write the trailer,
/// so whatever was written is a playable file, also after a cancelled run.
/// </summary>
public sealed class VideoWriter : IDisposable
{
    readonly Process _process;
    readonly Stream _stdin;
    readonly StringBuilder _stderr = new();
    readonly string _path;
    bool _closed;

    /// <summary>The presets: <see cref="DefaultPreset"/>, then x264's own, fastest first.</summary>
    public static readonly IReadOnlyList<string> Presets = [RealTimePreset, "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"];

    /// <summary>SharpSeg's preset for real time: x264's <c>superfast</c> with macroblock-tree rate control kept on over a
    /// 10-frame lookahead, as <c>veryfast</c> has it. superfast turns mbtree off, and that alone is what makes its files
    /// larger: with it back, 720p files came within 2 % of veryfast's size and 0.3 dB of its PSNR at CRF 20 (480×360
    /// files up to 10 % larger), for 58–64 % of veryfast's encoding time (docs/BENCHMARKS.md, "An encoder preset for
    /// real time, and two pixel loops").</summary>
    public const string RealTimePreset = "realtime";

    /// <summary>The preset when none is given: <see cref="RealTimePreset"/>.</summary>
    public const string DefaultPreset = RealTimePreset;

    /// <summary>The x264 arguments of <paramref name="preset"/> (a checked name).</summary>
    internal static IReadOnlyList<string> X264Arguments(string preset) =>
        preset == RealTimePreset ? ["-preset", "superfast", "-x264-params", "mbtree=1:rc-lookahead=10"] : ["-preset", preset];

    /// <summary>Checks a preset name against <see cref="Presets"/> (<paramref name="option"/> names the setting in the message).</summary>
    public static string CheckPreset(string preset, string option = "--preset")
    {
        string p = (preset ?? "").Trim().ToLowerInvariant();
        if (!Presets.Contains(p)) throw new SharpSegException($"{option} '{preset}' is not an encoder preset: use one of {string.Join(", ", Presets)}.");
        return p;
    }

    /// <param name="audioFrom">A video or audio file whose first audio stream, when it has one, goes into the output
    /// beside the frames (AAC, cut to the frames' length); null: no audio.</param>
    public VideoWriter(string path, int width, int height, double framesPerSecond, bool lossless = false, string preset = DefaultPreset, string? audioFrom = null)
    {
        _path = path; Width = width; Height = height;
        preset = CheckPreset(preset);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".webm" or ".ogv" or ".ogg" or ".gif")
            throw new SharpSegException($"{path}: SharpSeg writes H.264, which a {extension} file cannot hold; write .mp4, .mkv or .mov instead.");
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var args = new List<string> { "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}",
            "-r", framesPerSecond.ToString("0.######", CultureInfo.InvariantCulture), "-i", "pipe:0" };
        if (audioFrom != null) args.AddRange(["-i", audioFrom, "-map", "0:v:0", "-map", "1:a:0?", "-c:a", "aac", "-b:a", "160k", "-shortest"]);
        (EncodedWidth, EncodedHeight) = EncodedSize(width, height, lossless);
        if ((EncodedWidth, EncodedHeight) != (width, height))
            // One more column or row, repeating the last (smear), so yuv420p's 2×2 chroma blocks cover the picture.
            args.AddRange(["-vf", $"pad={EncodedWidth}:{EncodedHeight}:0:0,fillborders=right={EncodedWidth - width}:bottom={EncodedHeight - height}:mode=smear"]);
        args.AddRange(lossless ? ["-c:v", "libx264rgb", "-qp", "0"] : ["-c:v", "libx264", "-crf", "20", "-pix_fmt", "yuv420p"]);
        args.AddRange(X264Arguments(preset));
        if (Path.GetExtension(path).Equals(".mp4", StringComparison.OrdinalIgnoreCase)) args.AddRange(["-movflags", "+faststart"]);
        args.Add(path);
        _process = Ffmpeg.Start(args, redirectInput: true, redirectOutput: false, _stderr);
        _stdin = _process.StandardInput.BaseStream;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The size of the encoded picture: <see cref="Width"/>×<see cref="Height"/>, or see <see cref="EncodedSize"/>.</summary>
    public int EncodedWidth { get; }
    public int EncodedHeight { get; }

    /// <summary>The size a <paramref name="width"/>×<paramref name="height"/> video is encoded at. H.264 in yuv420p needs
    /// an even width and height: an odd one gets one more column or row, a copy of the last. Lossless (RGB) videos keep
    /// their size.</summary>
    public static (int Width, int Height) EncodedSize(int width, int height, bool lossless = false) =>
        lossless ? (width, height) : (width + (width & 1), height + (height & 1));
    public long FramesWritten { get; private set; }

    public void Write(RgbImage frame)
    {
        if (frame.Width != Width || frame.Height != Height || frame.Channels != 3)
            throw new ArgumentException($"frame {frame.Width}x{frame.Height}x{frame.Channels} does not match the video's {Width}x{Height}x3");
        try { _stdin.Write(frame.Pixels, 0, frame.Pixels.Length); }
        catch (IOException) { throw Failed(); }
        FramesWritten++;
    }

    SharpSegException Failed()
    {
        _process.WaitForExit(5000);
        return new SharpSegException($"{_path}: ffmpeg could not encode the video ({Ffmpeg.FirstLine(_stderr.ToString())}).");
    }

    /// <summary>Closes the pipe and waits for ffmpeg to finish the file; throws when it failed.</summary>
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        try { _stdin.Close(); } catch (IOException) { }
        _process.WaitForExit();
        if (_process.ExitCode != 0) throw Failed();
    }

    public void Dispose()
    {
        try { Close(); }
        catch (SharpSegException) { }
        _process.Dispose();
    }
}
