using System.Diagnostics;
using SharpSeg.Imaging;
using SharpSeg.Models;
using SharpSeg.Onnx;
using SharpSeg.Serving;
using SharpSeg.Tests.Onnx;
using SharpSeg.Tests.Segmenting;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>
/// Opt-in measurement of <c>sharpseg serve</c> on loopback (Kestrel, in process) with <see cref="ServeLoadGenerator"/>:
/// requests per second and p50/p95/p99 latency at 1, 2, 4 and 8 concurrent clients for the plain U-Net and LR-ASPP
/// (MobileNetV3-Large), each through the eager and fused TorchSharp backends and ONNX Runtime, on one 480×360 PNG
/// (weights random with settled BatchNorm statistics: speed does not depend on training); then the process's memory over
/// 10,000 small requests (it must not grow).
/// <c>SHARPSEG_BENCH=1 [SHARPSEG_BENCH_INSTANCES=2] [SHARPSEG_BENCH_REQUESTS=8] dotnet test -c Release --filter ServeLoadBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class ServeLoadBenchmark(ITestOutputHelper output)
{
    static int EnvInt(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    static (string Checkpoint, string Onnx) Model(ModelConfig config, string name)
    {
        string dir = TestPaths.NewTempDir("serve-bench-" + name);
        using var model = ExportFixture.SettledModel(config);
        var info = ExportFixture.Info(config);
        string ckpt = Path.Combine(dir, name + ".ckpt"), onnx = Path.Combine(dir, name + ".onnx");
        SharpSeg.Checkpoints.Checkpoint.Save(ckpt, model, info);
        OnnxExporter.Export(model, info, onnx, new OnnxExportOptions());
        return (ckpt, onnx);
    }

    static async Task<(SegmentationServer Server, HttpClient Client)> Start(SegmentationServerOptions options)
    {
        var server = SegmentationServer.Create(options);
        await server.StartAsync();
        await server.Ready;
        return (server, new HttpClient { BaseAddress = new Uri(server.Urls.Single()), Timeout = TimeSpan.FromMinutes(5) });
    }

    [BenchmarkFact]
    public async Task RequestsPerSecondAndLatencyByClients()
    {
        int instances = EnvInt("SHARPSEG_BENCH_INSTANCES", 2), perClient = EnvInt("SHARPSEG_BENCH_REQUESTS", 8);
        int threads = Math.Max(1, Environment.ProcessorCount / instances);
        output.WriteLine($"{Environment.ProcessorCount} cores, {instances} model copies ({threads} threads each), queue 64; {Engine.TorchRuntime.Describe()}");
        byte[] image = ImageFile.EncodePng(SegmenterFixture.Image(480, 360, 4));
        var models = new[]
        {
            ("unet", new ModelConfig { Architecture = "unet", Encoder = "unet", NumClasses = 11 }),
            ("lraspp", new ModelConfig { Architecture = "lraspp", Encoder = "mobilenet_v3_large", NumClasses = 11 }),
        };
        output.WriteLine("| model | backend | clients | requests | req/s | p50 ms | p95 ms | p99 ms |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, config) in models)
        {
            var (ckpt, onnx) = Model(config, name);
            foreach (var (backend, path, eager) in new[] { ("eager", ckpt, true), ("fused", ckpt, false), ("onnx", onnx, false) })
            {
                var (server, client) = await Start(new SegmentationServerOptions(path, Host: "127.0.0.1", Port: 0, Instances: instances, QueueLimit: 64,
                    Eager: eager, TorchThreads: threads));
                await using var _ = server;
                using var __ = client;
                await ServeLoadGenerator.Run(client, "/v1/segment", image, 1, 2); // warm-up
                foreach (int clients in new[] { 1, 2, 4, 8 })
                {
                    var r = await ServeLoadGenerator.Run(client, "/v1/segment", image, clients, perClient);
                    Assert.Equal(0, r.Failures);
                    output.WriteLine($"| {name} | {backend} | {clients} | {r.Requests} | {r.RequestsPerSecond:F2} | {r.P50Ms:F0} | {r.P95Ms:F0} | {r.P99Ms:F0} |");
                }
            }
        }
    }

    [BenchmarkFact]
    public async Task MemoryDoesNotGrowOver10000Requests()
    {
        int total = EnvInt("SHARPSEG_BENCH_TOTAL", 10_000);
        var (server, client) = await Start(new SegmentationServerOptions(SegmenterFixture.Onnx, Host: "127.0.0.1", Port: 0, Instances: 2, QueueLimit: 64));
        await using var _ = server;
        using var __ = client;
        byte[] image = ImageFile.EncodePng(SegmenterFixture.Image(64, 48, 5));
        var process = Process.GetCurrentProcess();
        var samples = new List<(int Done, long RssMiB, long ManagedMiB)>();
        int done = 0, step = total / 10;
        var watch = Stopwatch.StartNew();
        while (done < total)
        {
            var r = await ServeLoadGenerator.Run(client, "/v1/segment?format=json", image, 4, step / 4);
            Assert.Equal(0, r.Failures);
            done += r.Requests;
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            process.Refresh();
            samples.Add((done, process.WorkingSet64 >> 20, GC.GetTotalMemory(false) >> 20));
        }
        output.WriteLine($"{done} requests (tiny U-Net, ONNX Runtime, 64×48 PNG, 4 clients) in {watch.Elapsed.TotalSeconds:F0} s");
        output.WriteLine("| requests | RSS MiB | managed MiB |");
        output.WriteLine("| ---: | ---: | ---: |");
        foreach (var s in samples) output.WriteLine($"| {s.Done} | {s.RssMiB} | {s.ManagedMiB} |");
        // From the second sample (after warm-up) to the last: no growth beyond noise.
        Assert.True(samples[^1].RssMiB - samples[1].RssMiB < 64, $"RSS grew from {samples[1].RssMiB} to {samples[^1].RssMiB} MiB");
    }
}
