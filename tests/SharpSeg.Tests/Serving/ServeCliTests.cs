using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Tests.Segmenting;
using Xunit;

namespace SharpSeg.Tests.Serving;

/// <summary><c>sharpseg serve</c> as a user runs it: a real Kestrel on a loopback port, ready after the model loads,
/// answering with predict's masks, stopping gracefully on SIGTERM (a request in flight still gets its answer).</summary>
public sealed class ServeCliTests
{
    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Serve_answers_on_loopback_and_drains_a_request_in_flight_on_SIGTERM()
    {
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "SharpSeg.Cli.dll"), "serve", "--model", SegmenterFixture.Onnx, "--port", port.ToString(), "--instances", "2", "--max-pixels", "2M" })
            psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["COLUMNS"] = "200";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (true)
            {
                try { if ((await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) break; }
                catch (HttpRequestException) { }
                if (process.HasExited) Assert.Fail($"serve exited {process.ExitCode}: {await stderr}");
                Assert.True(DateTime.UtcNow < deadline, "serve was not ready within a minute");
                await Task.Delay(200);
            }
            using var segmenter = Segmenter.Load(SegmenterFixture.Onnx);
            byte[] odd = File.ReadAllBytes(Path.Combine(SegmenterFixture.Images, "odd.png"));
            var content = new ByteArrayContent(odd);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            var answer = await client.PostAsync("/v1/segment", content);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(segmenter.Segment(odd).MaskPng(), await answer.Content.ReadAsByteArrayAsync());

            // A slow request, then SIGTERM while it runs: the server stops accepting, finishes it, and exits 0.
            byte[] large = ImageFile.EncodePng(SegmenterFixture.Image(640, 480, 9));
            var slow = client.PostAsync("/v1/segment?tta_flip=true&tta_scales=0.5,1,1.5,2", new ByteArrayContent(large));
            var inFlight = DateTime.UtcNow.AddSeconds(20);
            while (!(await client.GetStringAsync("/metrics")).Contains("sharpseg_requests_in_flight 2") && !slow.IsCompleted && DateTime.UtcNow < inFlight)
                await Task.Delay(5);
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            var drained = await slow;
            Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
            Assert.Equal(segmenter.Segment(large, "large.png", InferenceOptions.FromFlags(null, 0.25, null, true, "0.5,1,1.5,2")).MaskPng(), await drained.Content.ReadAsByteArrayAsync());
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "serve did not stop after SIGTERM");
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
            string output = await stdout;
            Assert.Contains($"serving tiny.onnx on http://localhost:{port}", output);
            Assert.Contains("stopped.", output);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void A_missing_model_is_one_line_and_exit_1_before_listening()
    {
        var r = CliRunner.Run("serve", "--model", "missing.onnx", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: missing.onnx: model file not found; give a .ckpt checkpoint, an exported .onnx model or a .tflite model.", r.StdErr.Trim());
        var both = CliRunner.Run("serve", "--model", "a.onnx", "--checkpoint", "b.ckpt");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("either --checkpoint or --model", both.StdErr);
        var queue = CliRunner.Run("serve", "--model", SegmenterFixture.Onnx, "--queue", "-1");
        Assert.Equal(1, queue.ExitCode);
        Assert.Equal("error: --queue -1: give between 0 and 10000 waiting requests.", queue.StdErr.Trim());
        foreach (var name in new[] { "--copies", "--instances" }) // the name video and predict use, and the older one
        {
            var copies = CliRunner.Run("serve", "--model", SegmenterFixture.Onnx, name, "0");
            Assert.Equal(1, copies.ExitCode);
            Assert.Equal("error: --copies 0: give between 1 and 64 model copies.", copies.StdErr.Trim());
        }
    }
}
