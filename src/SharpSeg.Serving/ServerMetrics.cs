using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace SharpSeg.Serving;

/// <summary>
/// The counters behind <c>GET /metrics</c>, written in the Prometheus text exposition format (version 0.0.4): requests by
/// endpoint and status, a latency histogram per endpoint, requests in flight, requests refused because the queue was
/// full, and the model's load time and readiness. Thread-safe.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>Upper bounds of the latency histogram's buckets, in seconds.</summary>
    public static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    readonly ConcurrentDictionary<string, Histogram> _latency = new();
    long _inFlight, _rejected;

    sealed class Histogram
    {
        public readonly long[] Counts = new long[Buckets.Length + 1];
        public double Sum;
        public long Count;
    }

    /// <summary>Requests being answered now.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Requests refused with 503 because the queue was full.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Seconds the model took to load; null until loaded.</summary>
    public double? ModelLoadSeconds { get; set; }

    /// <summary>Whether the model is loaded and requests are segmented.</summary>
    public bool Ready { get; set; }

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void QueueFull() => Interlocked.Increment(ref _rejected);

    /// <summary>Records a finished request.</summary>
    public void Finished(string endpoint, int status, double seconds)
    {
        Interlocked.Decrement(ref _inFlight);
        _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);
        var h = _latency.GetOrAdd(endpoint, _ => new Histogram());
        lock (h)
        {
            int i = Array.FindIndex(Buckets, b => seconds <= b);
            h.Counts[i < 0 ? Buckets.Length : i]++;
            h.Sum += seconds;
            h.Count++;
        }
    }

    /// <summary>The Prometheus text format of every metric.</summary>
    public string ToPrometheusText()
    {
        var s = new StringBuilder();
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        s.Append("# HELP sharpseg_requests_total HTTP requests answered, by endpoint and status code.\n# TYPE sharpseg_requests_total counter\n");
        foreach (var ((endpoint, status), n) in _requests.OrderBy(r => r.Key.Endpoint, StringComparer.Ordinal).ThenBy(r => r.Key.Status))
            s.Append($"sharpseg_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}\n");
        s.Append("# HELP sharpseg_request_duration_seconds Time to answer a request, by endpoint.\n# TYPE sharpseg_request_duration_seconds histogram\n");
        foreach (var (endpoint, h) in _latency.OrderBy(l => l.Key, StringComparer.Ordinal))
            lock (h)
            {
                long cumulative = 0;
                for (int i = 0; i < Buckets.Length; i++)
                {
                    cumulative += h.Counts[i];
                    s.Append($"sharpseg_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"{F(Buckets[i])}\"}} {cumulative}\n");
                }
                s.Append($"sharpseg_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"+Inf\"}} {h.Count}\n");
                s.Append($"sharpseg_request_duration_seconds_sum{{endpoint=\"{endpoint}\"}} {F(h.Sum)}\n");
                s.Append($"sharpseg_request_duration_seconds_count{{endpoint=\"{endpoint}\"}} {h.Count}\n");
            }
        s.Append("# HELP sharpseg_requests_in_flight Requests being answered now (this scrape included).\n# TYPE sharpseg_requests_in_flight gauge\n");
        s.Append($"sharpseg_requests_in_flight {InFlight}\n");
        s.Append("# HELP sharpseg_requests_rejected_total Segmentation requests refused with 503 because every model copy was busy and the queue was full.\n# TYPE sharpseg_requests_rejected_total counter\n");
        s.Append($"sharpseg_requests_rejected_total {Rejected}\n");
        s.Append("# HELP sharpseg_model_ready 1 when the model is loaded and requests are segmented.\n# TYPE sharpseg_model_ready gauge\n");
        s.Append($"sharpseg_model_ready {(Ready ? 1 : 0)}\n");
        if (ModelLoadSeconds is double load)
            s.Append($"# HELP sharpseg_model_load_seconds Time the model took to load.\n# TYPE sharpseg_model_load_seconds gauge\nsharpseg_model_load_seconds {F(load)}\n");
        return s.ToString();
    }
}
