using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SharpSeg.Tests.Reports;

/// <summary>
/// Opens an HTML file in headless Chromium as a person's browser would and reports what happened: how many images the
/// page has, which did not load (natural width 0), and every error the page raised or logged to its console.
/// A copy of the page gets a small probe script (the page itself has no script); the result is read from --dump-dom.
/// </summary>
public static partial class HeadlessChromium
{
    public const string Executable = "/usr/bin/chromium";

    public sealed record PageCheck(int Images, IReadOnlyList<string> BrokenImages, IReadOnlyList<string> Errors, string Dom);

    const string Probe = """
        <script>
        window.__errors = [];
        window.addEventListener('error', e => window.__errors.push('error: ' + (e.message || (e.target && (e.target.currentSrc || e.target.src || e.target.href) || '').slice(0, 80) || 'resource')), true);
        window.addEventListener('unhandledrejection', e => window.__errors.push('rejection: ' + e.reason));
        for (const level of ['error', 'warn']) {
          const original = console[level];
          console[level] = (...args) => { window.__errors.push('console.' + level + ': ' + args.join(' ')); original.apply(console, args); };
        }
        window.addEventListener('load', () => {
          const images = Array.from(document.images);
          const broken = images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 40));
          const probe = document.createElement('pre');
          probe.id = 'sharpseg-probe';
          probe.textContent = 'PROBE' + JSON.stringify({ images: images.length, broken: broken, errors: window.__errors }) + 'EBORP';
          document.body.appendChild(probe);
        });
        </script>
        """;

    public static PageCheck Open(string htmlPath)
    {
        string work = TestPaths.NewTempDir("chromium");
        string page = Path.Combine(work, "page.html");
        string html = File.ReadAllText(htmlPath);
        int head = html.IndexOf("<head>", StringComparison.OrdinalIgnoreCase);
        if (head < 0) throw new InvalidOperationException($"{htmlPath}: no <head>");
        File.WriteAllText(page, html.Insert(head + "<head>".Length, Probe));
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + Path.Combine(work, "profile"),
            "--enable-logging=stderr", "--log-level=0", "--virtual-time-budget=10000", "--dump-dom", new Uri(page).AbsoluteUri,
        }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException("chromium did not finish within 2 minutes"); }
        string dom = stdout.Result;
        var m = ProbeText().Match(dom);
        if (!m.Success) throw new InvalidOperationException($"chromium exited {p.ExitCode} without the probe's result.\n--- stderr ---\n{stderr.Result}");
        using var json = JsonDocument.Parse(WebUtility.HtmlDecode(m.Groups[1].Value));
        var root = json.RootElement;
        var errors = root.GetProperty("errors").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        // Messages the page logged that bypassed console.* (e.g. a blocked resource) appear in Chromium's own log.
        errors.AddRange(stderr.Result.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).Select(l => "log: " + l.Trim()));
        return new PageCheck(root.GetProperty("images").GetInt32(), root.GetProperty("broken").EnumerateArray().Select(e => e.GetString() ?? "").ToList(), errors, dom);
    }

    /// <summary>Takes a screenshot of the page (for a person to look at); returns whether the file was written.</summary>
    public static bool Screenshot(string htmlPath, string pngPath, int width = 1300, int height = 2000)
    {
        string work = TestPaths.NewTempDir("chromium-shot");
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + Path.Combine(work, "profile"), "--hide-scrollbars",
            $"--window-size={width},{height}", "--screenshot=" + pngPath, new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri,
        }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); return false; }
        return File.Exists(pngPath) && new FileInfo(pngPath).Length > 0;
    }

    [GeneratedRegex("<pre id=\"sharpseg-probe\">PROBE(.*?)EBORP</pre>", RegexOptions.Singleline)]
    private static partial Regex ProbeText();
}
