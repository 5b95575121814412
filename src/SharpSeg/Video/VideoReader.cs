using System.Diagnostics;
using System.Text;
using SharpSeg.Imaging;

namespace SharpSeg.Video;

/// <summary>
/// Decodes a video into RGB frames, one at a time, through an <c>ffmpeg</c> pipe (raw rgb24): memory holds one frame,
/// whatever the video's length. Frames come out at the stream's own size.
/// </summary>
public sealed class VideoReader : IDisposable
{
    readonly Process _process;
    readonly Stream _stdout;
    readonly StringBuilder _stderr = new();
    readonly string _path;

    public VideoReader(string path)
    {
        _path = path;
        Info = Ffmpeg.Probe(path);
        PixelLimit.Check(path, Info.Width, Info.Height);
        _process = Ffmpeg.Start(["-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
            redirectInput: false, redirectOutput: true, _stderr);
        _stdout = _process.StandardOutput.BaseStream;
    }

    public VideoInfo Info { get; }

    /// <summary>The frames in order; ends at the end of the stream (or when ffmpeg fails, with its message). Each frame's
    /// pixels come from <paramref name="buffers"/> when given (a pool of frame-size arrays a caller recycles), else new.</summary>
    public IEnumerable<RgbImage> Frames(CancellationToken cancellationToken = default, FrameBuffers? buffers = null)
    {
        int size = Info.Width * Info.Height * 3;
        while (!cancellationToken.IsCancellationRequested)
        {
            var frame = new RgbImage(Info.Width, Info.Height, 3, buffers?.Rent());
            int read = 0;
            while (read < size)
            {
                int n = _stdout.Read(frame.Pixels, read, size - read);
                if (n == 0) break;
                read += n;
            }
            if (read == 0) break;
            if (read < size) break; // a truncated last frame: ffmpeg stopped mid-frame
            yield return frame;
        }
        if (cancellationToken.IsCancellationRequested) yield break;
        _process.WaitForExit();
        if (_process.ExitCode != 0)
            throw new SharpSegException($"{_path}: ffmpeg could not decode the video ({Ffmpeg.FirstLine(_stderr.ToString())}).");
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>Frame-size pixel arrays handed back once a frame is encoded, for the next frames: a video pipeline otherwise
/// allocates two multi-megabyte arrays per frame, and fresh large arrays cost page faults (about 7 ms a 720p frame on
/// a 2-core VM). Thread-safe.</summary>
public sealed class FrameBuffers(int length)
{
    readonly System.Collections.Concurrent.ConcurrentBag<byte[]> _free = new();

    /// <summary>A recycled array, or a new one (contents undefined).</summary>
    public byte[] Rent() => _free.TryTake(out var b) ? b : new byte[length];

    /// <summary>Hands <paramref name="pixels"/> back; arrays of another length are left to the GC. The caller must hold
    /// no other reference to it.</summary>
    public void Return(byte[] pixels)
    {
        if (pixels.Length == length && _free.Count < 16) _free.Add(pixels);
    }
}
