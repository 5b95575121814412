using System.Diagnostics;
using System.Net.Http.Headers;

namespace SharpSeg.Tests.Benchmarks;

/// <summary>A small closed-loop HTTP load generator (the <c>hey</c>/<c>bombardier</c> pattern): <c>clients</c> concurrent
/// loops, each sending the same POST and waiting for its answer before the next; latency of every request, requests per
/// second over the whole run.</summary>
public static class ServeLoadGenerator
{
    public sealed record Result(int Clients, int Requests, int Failures, double Seconds, double P50Ms, double P95Ms, double P99Ms)
    {
        public double RequestsPerSecond => Requests / Seconds;
    }

    public static async Task<Result> Run(HttpClient client, string path, byte[] body, int clients, int requestsPerClient)
    {
        var latencies = new List<double>[clients];
        int failures = 0;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = new List<double>(requestsPerClient);
            for (int i = 0; i < requestsPerClient; i++)
            {
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                var watch = Stopwatch.StartNew();
                using var response = await client.PostAsync(path, content);
                await response.Content.ReadAsByteArrayAsync();
                latencies[c].Add(watch.Elapsed.TotalMilliseconds);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
            }
        }));
        double seconds = total.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
        return new Result(clients, all.Length, failures, seconds, Percentile(0.50), Percentile(0.95), Percentile(0.99));
    }
}
