using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace SharpSeg.Video;

/// <summary>What <c>ffprobe</c> says about a video's first video stream. Width and height are those of the frames as
/// decoded: a stream that asks for a rotation of 90° or 270° (a phone held upright) has them swapped.</summary>
/// <param name="FramesPerSecond">The stream's average frame rate (r_frame_rate when that is unknown).</param>
/// <param name="Frames">The frame count when the container states it, else an estimate from the duration, else null.</param>
public sealed record VideoInfo(int Width, int Height, double FramesPerSecond, long? Frames, string Codec);

/// <summary>
/// Locates and runs <c>ffmpeg</c>/<c>ffprobe</c> (Debian: <c>sudo apt-get install ffmpeg</c>), which decode and encode
/// every video SharpSeg reads or writes; <c>SHARPSEG_FFMPEG</c> may name the ffmpeg binary (ffprobe is looked for beside it).
/// </summary>
public static class Ffmpeg
{
    /// <summary>The ffmpeg binary, or a one-line <see cref="SharpSegException"/> saying how to install it.</summary>
    public static string FfmpegPath => Locate("ffmpeg");

    /// <summary>The ffprobe binary, or a one-line <see cref="SharpSegException"/>.</summary>
    public static string FfprobePath => Locate("ffprobe");

    /// <summary>True when both binaries are found.</summary>
    public static bool IsAvailable => TryLocate("ffmpeg") != null && TryLocate("ffprobe") != null;

    static string Locate(string tool) => TryLocate(tool)
        ?? throw new SharpSegException($"{tool} not found: video needs ffmpeg; install it (Debian/Ubuntu: sudo apt-get install ffmpeg) or set SHARPSEG_FFMPEG to the ffmpeg binary.");

    static string? TryLocate(string tool)
    {
        if (Environment.GetEnvironmentVariable("SHARPSEG_FFMPEG") is { Length: > 0 } custom)
        {
            string candidate = tool == "ffmpeg" ? custom : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(custom)) ?? "", tool);
            return File.Exists(candidate) ? Path.GetFullPath(candidate) : null;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string p = Path.Combine(dir, tool);
            if (File.Exists(p)) return p;
            if (OperatingSystem.IsWindows() && File.Exists(p + ".exe")) return p + ".exe";
        }
        return null;
    }

    /// <summary>Reads the first video stream's size, frame rate and frame count; a missing file or one without video is one line.</summary>
    public static VideoInfo Probe(string path)
    {
        if (!File.Exists(path)) throw new SharpSegException($"{path}: video file not found.");
        var (exitCode, stdout, stderr) = RunFfprobe("-v", "error", "-select_streams", "v:0", "-show_entries",
            "stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,codec_name:stream_side_data=rotation:stream_tags=rotate:format=duration", "-of", "json", path);
        if (exitCode != 0) throw new SharpSegException($"{path}: not a video ffprobe can read ({FirstLine(stderr)}).");
        using var doc = JsonDocument.Parse(stdout);
        if (!doc.RootElement.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
            throw new SharpSegException($"{path}: has no video stream.");
        var s = streams[0];
        int width = s.GetProperty("width").GetInt32(), height = s.GetProperty("height").GetInt32();
        // A phone's portrait video is stored landscape with a rotation to apply; ffmpeg applies it when decoding, so the
        // frames come out with width and height swapped.
        if (Math.Abs(Rotation(s)) % 180 == 90) (width, height) = (height, width);
        double fps = Rate(s, "avg_frame_rate") ?? Rate(s, "r_frame_rate") ?? 25;
        long? frames = s.TryGetProperty("nb_frames", out var nb) && long.TryParse(nb.GetString(), out long n) ? n : null;
        if (frames is null && doc.RootElement.TryGetProperty("format", out var format) && format.TryGetProperty("duration", out var d)
            && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            frames = (long)Math.Round(seconds * fps);
        string codec = s.TryGetProperty("codec_name", out var c) ? c.GetString() ?? "" : "";
        return new VideoInfo(width, height, fps, frames, codec);
    }

    /// <summary>True when <paramref name="path"/> holds an audio stream (false also when ffprobe cannot tell).</summary>
    public static bool HasAudio(string path)
    {
        var (exitCode, stdout, _) = RunFfprobe("-v", "error", "-select_streams", "a:0", "-show_entries", "stream=index", "-of", "csv=p=0", path);
        return exitCode == 0 && stdout.Trim().Length > 0;
    }

    static (int ExitCode, string Stdout, string Stderr) RunFfprobe(params string[] args) => RunToEnd(FfprobePath, args);

    /// <summary>Runs <paramref name="tool"/> (ffmpeg or ffprobe) to the end: its exit code, standard output and standard
    /// error (read side by side, so neither pipe can fill up and stall it).</summary>
    internal static (int ExitCode, string Stdout, string Stderr) RunToEnd(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The rotation in degrees a stream asks players to apply: its display matrix (side data), else the older
    /// <c>rotate</c> tag; 0 when neither is there.</summary>
    static int Rotation(JsonElement s)
    {
        if (s.TryGetProperty("side_data_list", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var item in list.EnumerateArray())
                if (item.TryGetProperty("rotation", out var r) && r.ValueKind == JsonValueKind.Number) return (int)Math.Round(r.GetDouble());
        if (s.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object && tags.TryGetProperty("rotate", out var t)
            && int.TryParse(t.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int degrees)) return degrees;
        return 0;
    }

    static double? Rate(JsonElement s, string key)
    {
        if (!s.TryGetProperty(key, out var v) || v.GetString() is not { } text) return null;
        var parts = text.Split('/');
        if (parts.Length == 2 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double num)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double den) && num > 0 && den > 0)
            return num / den;
        return null;
    }

    internal static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    /// <summary>Starts ffmpeg with <paramref name="args"/>, stdin/stdout redirected as asked; stderr is collected (last lines kept) for messages.</summary>
    internal static Process Start(IEnumerable<string> args, bool redirectInput, bool redirectOutput, System.Text.StringBuilder stderr)
    {
        // In its own session (setsid), so a Ctrl+C in the terminal reaches SharpSeg alone, which then closes the pipes in
        // order and lets ffmpeg finish the file; a signal straight to ffmpeg would cut the last frames off.
        string? setsid = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        var psi = new ProcessStartInfo(setsid ?? FfmpegPath)
        {
            RedirectStandardInput = redirectInput, RedirectStandardOutput = redirectOutput, RedirectStandardError = true, UseShellExecute = false,
        };
        if (setsid != null) psi.ArgumentList.Add(FfmpegPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) { if (stderr.Length > 8000) stderr.Remove(0, 4000); stderr.AppendLine(e.Data); } };
        p.Start();
        p.BeginErrorReadLine();
        return p;
    }
}
