using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Serving;
using SharpSeg.Tests.Segmenting;
using Xunit;

namespace SharpSeg.Tests.Serving;

/// <summary>The masks <c>sharpseg predict</c> writes for the fixture images (ONNX model, overlay opacity 0.3): what
/// every answer of the server is compared with.</summary>
public sealed class PredictOutputs
{
    public PredictOutputs()
    {
        Folder = TestPaths.NewTempDir("serve-predict");
        var r = CliRunner.Run("predict", "--model", SegmenterFixture.Onnx, "--input", SegmenterFixture.Images, "--out", Folder, "--opacity", "0.3");
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
    }

    public string Folder { get; }

    public byte[] File(string stem, string kind) => System.IO.File.ReadAllBytes(Path.Combine(Folder, $"{stem}_{kind}"));
}

/// <summary><c>sharpseg serve</c> in process (ASP.NET Core test server): every endpoint, every refusal, the limits, and
/// concurrency, with answers compared byte for byte with <c>predict</c>'s files.</summary>
public sealed class ServerTests(PredictOutputs predict) : IClassFixture<PredictOutputs>
{
    static string Image(string stem) => Path.Combine(SegmenterFixture.Images, stem + ".png");

    /// <summary>A started in-process server over the fixture's ONNX model, its model loaded.</summary>
    static async Task<(SegmentationServer Server, HttpClient Client)> Start(SegmentationServerOptions options, bool waitForModel = true)
    {
        var server = SegmentationServer.Create(options, b => b.WebHost.UseTestServer());
        await server.StartAsync();
        if (waitForModel) await server.Ready.WaitAsync(TimeSpan.FromMinutes(2));
        return (server, server.App.GetTestClient());
    }

    static SegmentationServerOptions Options(int instances = 2, int queue = 64, long maxBody = 64 << 10, long maxPixels = 3000, string? model = null) =>
        new(model ?? SegmenterFixture.Onnx, Port: 0, Instances: instances, QueueLimit: queue, MaxBodyBytes: maxBody, MaxPixels: maxPixels);

    static ByteArrayContent Raw(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    /// <summary>An RFC 7807 answer with the given status whose detail is one line; returns the detail.</summary>
    static async Task<string> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal((int)status, json.RootElement.GetProperty("status").GetInt32());
        string detail = json.RootElement.GetProperty("detail").GetString()!;
        Assert.DoesNotContain('\n', detail);
        Assert.DoesNotContain("   at ", body);
        return detail;
    }

    [Fact]
    public async Task Health_readiness_model_page_and_metrics_answer()
    {
        var (server, client) = await Start(Options());
        await using var _ = server;
        Assert.Equal("ok\n", await client.GetStringAsync("/healthz"));
        Assert.Equal("ready\n", await client.GetStringAsync("/readyz"));

        using var model = JsonDocument.Parse(await client.GetStringAsync("/v1/model"));
        var root = model.RootElement;
        Assert.Equal(["c0", "c1", "c2"], root.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("#00ff80", root.GetProperty("classes")[0].GetProperty("color").GetString());
        Assert.Equal("unet", root.GetProperty("architecture").GetProperty("architecture").GetString());
        Assert.True(root.GetProperty("parameters").GetInt64() > 1000);
        Assert.Equal(0.485, root.GetProperty("normalization").GetProperty("mean")[0].GetDouble());
        Assert.StartsWith("ONNX Runtime", root.GetProperty("backend").GetString());
        Assert.Equal(2, root.GetProperty("limits").GetProperty("instances").GetInt32());

        var page = await client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<canvas", html);
        Assert.Contains("v1/segment", html);
        Assert.DoesNotContain("src=\"http", html);   // no CDN: the page works offline
        Assert.DoesNotContain("href=\"http", html);

        (await client.PostAsync("/v1/segment", Raw(File.ReadAllBytes(Image("scene"))))).EnsureSuccessStatusCode();
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("sharpseg_requests_total{endpoint=\"/healthz\",status=\"200\"} 1", metrics);
        Assert.Contains("sharpseg_requests_total{endpoint=\"/v1/segment\",status=\"200\"} 1", metrics);
        Assert.Contains("sharpseg_request_duration_seconds_bucket{endpoint=\"/v1/segment\",le=\"+Inf\"} 1", metrics);
        Assert.Contains("sharpseg_request_duration_seconds_count{endpoint=\"/v1/segment\"} 1", metrics);
        Assert.Contains("# TYPE sharpseg_request_duration_seconds histogram", metrics);
        Assert.Contains("sharpseg_requests_in_flight 1", metrics); // the scrape itself
        Assert.Contains("sharpseg_model_ready 1", metrics);
        Assert.Matches(@"sharpseg_model_load_seconds \d", metrics);
    }

    [Fact]
    public async Task Every_format_equals_what_predict_writes_from_a_raw_body_or_a_multipart_form()
    {
        var (server, client) = await Start(Options());
        await using var _ = server;
        foreach (var stem in new[] { "scene", "odd" })
        {
            byte[] bytes = File.ReadAllBytes(Image(stem));
            var raw = await client.PostAsync("/v1/segment", Raw(bytes));
            Assert.Equal("image/png", raw.Content.Headers.ContentType?.MediaType);
            Assert.Equal(predict.File(stem, "mask.png"), await raw.Content.ReadAsByteArrayAsync());

            using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "image", stem + ".png" }, { new StringContent("color"), "format" } };
            Assert.Equal(predict.File(stem, "color.png"), await (await client.PostAsync("/v1/segment", form)).Content.ReadAsByteArrayAsync());
            Assert.Equal(predict.File(stem, "overlay.png"), await (await client.PostAsync("/v1/segment?format=overlay&opacity=0.3", Raw(bytes))).Content.ReadAsByteArrayAsync());

            var json = await client.PostAsync($"/v1/segment?format=json&rle=true&name={stem}.png", Raw(bytes));
            Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
            using var answer = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
            using var summary = JsonDocument.Parse(predict.File(stem, "summary.json"));
            Assert.Equal(stem + ".png", answer.RootElement.GetProperty("image").GetString());
            Assert.Equal(summary.RootElement.GetProperty("classes").EnumerateArray().Select(c => (c.GetProperty("name").GetString(), c.GetProperty("pixels").GetInt64(), c.GetProperty("share").GetDouble())),
                answer.RootElement.GetProperty("classes").EnumerateArray().Select(c => (c.GetProperty("name").GetString(), c.GetProperty("pixels").GetInt64(), c.GetProperty("share").GetDouble())));
            // The run-length masks (COCO RLE: column-major, runs of "not" and "is" the class) decode back to predict's class map.
            var predicted = ImageFile.Load(Path.Combine(predict.Folder, stem + "_mask.png"), 1);
            byte[] expected = predicted.Pixels;
            var decoded = new byte[expected.Length];
            Array.Fill(decoded, (byte)255);
            foreach (var m in answer.RootElement.GetProperty("masks").EnumerateArray())
            {
                int h = m.GetProperty("size")[0].GetInt32(), w = m.GetProperty("size")[1].GetInt32();
                Assert.Equal((predicted.Height, predicted.Width), (h, w));
                int at = 0; bool inside = false;
                foreach (var n in m.GetProperty("counts").EnumerateArray())
                {
                    if (inside) for (int p = at; p < at + n.GetInt32(); p++) decoded[(p % h) * w + p / h] = (byte)m.GetProperty("index").GetInt32();
                    at += n.GetInt32(); inside = !inside;
                }
                Assert.Equal(expected.Length, at);
            }
            Assert.Equal(expected, decoded);
        }
    }

    static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_JSON_body_carries_the_image_as_base64_and_the_options()
    {
        var (server, client) = await Start(Options());
        await using var _ = server;
        string odd = Convert.ToBase64String(File.ReadAllBytes(Image("odd")));
        var overlay = await client.PostAsync("/v1/segment", JsonBody($$"""{"image": "{{odd}}", "format": "overlay", "opacity": 0.3}"""));
        Assert.Equal(predict.File("odd", "overlay.png"), await overlay.Content.ReadAsByteArrayAsync());
        var json = await client.PostAsync("/v1/segment?format=png", JsonBody($$"""{"image": "{{odd}}", "format": "json", "name": "odd.png", "rle": true}"""));
        using var answer = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        Assert.Equal("odd.png", answer.RootElement.GetProperty("image").GetString());
        Assert.True(answer.RootElement.GetProperty("masks").GetArrayLength() >= 2);
        Assert.Contains("base64", await Problem(await client.PostAsync("/v1/segment", JsonBody("""{"image": "%%% not base64"}""")), HttpStatusCode.BadRequest));
        Assert.Contains("not valid JSON", await Problem(await client.PostAsync("/v1/segment", JsonBody("""{"image": """)), HttpStatusCode.BadRequest));
        Assert.Contains("no \"image\"", await Problem(await client.PostAsync("/v1/segment", JsonBody("""{"format": "json"}""")), HttpStatusCode.BadRequest));
        Assert.Contains("opacity 7", await Problem(await client.PostAsync("/v1/segment", JsonBody($$"""{"image": "{{odd}}", "format": "overlay", "opacity": 7}""")), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Bad_requests_are_problem_json_with_the_one_line_messages()
    {
        var (server, client) = await Start(Options());
        await using var _ = server;
        byte[] scene = File.ReadAllBytes(Image("scene"));
        Assert.Contains("photo.txt", await Problem(await client.PostAsync("/v1/segment?name=photo.txt", Raw("not an image at all"u8.ToArray())), HttpStatusCode.BadRequest));
        Assert.Contains("truncated", await Problem(await client.PostAsync("/v1/segment", Raw(scene[..(scene.Length / 2)])), HttpStatusCode.BadRequest));
        Assert.Contains("empty", await Problem(await client.PostAsync("/v1/segment", Raw([])), HttpStatusCode.BadRequest));
        Assert.Contains("format 'bmp'", await Problem(await client.PostAsync("/v1/segment?format=bmp", Raw(scene)), HttpStatusCode.BadRequest));
        Assert.Contains("opacity 2", await Problem(await client.PostAsync("/v1/segment?format=overlay&opacity=2", Raw(scene)), HttpStatusCode.BadRequest));
        Assert.Contains("--tile 4", await Problem(await client.PostAsync("/v1/segment?tile=4", Raw(scene)), HttpStatusCode.BadRequest));
        Assert.Contains("unknown option 'tiles'", await Problem(await client.PostAsync("/v1/segment?tiles=64", Raw(scene)), HttpStatusCode.BadRequest));
        using var noFile = new MultipartFormDataContent { { new StringContent("json"), "format" } };
        Assert.Contains("no file", await Problem(await client.PostAsync("/v1/segment", noFile), HttpStatusCode.BadRequest));

        // Limits: a body over 64 KiB (declared or streamed), and an image whose header claims more than 3000 pixels.
        var big = new byte[70_000];
        new Random(3).NextBytes(big);
        Assert.Contains("over the limit of 65,536 bytes", await Problem(await client.PostAsync("/v1/segment", Raw(big)), HttpStatusCode.RequestEntityTooLarge));
        var streamed = new StreamContent(new MemoryStream(big));   // no Content-Length: read until the limit
        streamed.Headers.ContentLength = null;
        Assert.Contains("over the limit", await Problem(await client.PostAsync("/v1/segment", streamed), HttpStatusCode.RequestEntityTooLarge));
        using var bigForm = new MultipartFormDataContent { { new ByteArrayContent(big), "image", "big.png" } };
        await Problem(await client.PostAsync("/v1/segment", bigForm), HttpStatusCode.RequestEntityTooLarge);
        byte[] wide = ImageFile.EncodePng(new RgbImage(100, 40, 3));
        Assert.Contains("4000 pixels, over the limit of 3000", await Problem(await client.PostAsync("/v1/segment?name=wide.png", Raw(wide)), HttpStatusCode.RequestEntityTooLarge));

        // The server is still fine.
        Assert.Equal(predict.File("scene", "mask.png"), await (await client.PostAsync("/v1/segment", Raw(scene))).Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.GetAsync("/v1/segment")).StatusCode);
    }

    [Fact]
    public async Task Thirty_two_concurrent_requests_over_two_model_copies_give_predicts_masks()
    {
        var (server, client) = await Start(Options(instances: 2, queue: 64));
        await using var _ = server;
        string[] stems = ["scene", "odd"];
        var answers = await Task.WhenAll(Enumerable.Range(0, 32).Select(async i =>
        {
            var response = await client.PostAsync("/v1/segment", Raw(File.ReadAllBytes(Image(stems[i % 2]))));
            return (i, response.StatusCode, Bytes: await response.Content.ReadAsByteArrayAsync());
        }));
        foreach (var (i, status, bytes) in answers)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(predict.File(stems[i % 2], "mask.png"), bytes);
        }
        Assert.Equal(0, server.Metrics.Rejected);
        Assert.Equal(0, server.Metrics.InFlight);
    }

    [Fact]
    public async Task A_full_queue_is_503_with_Retry_After_and_the_admitted_requests_are_right()
    {
        // One copy, no queue: while one request is segmented, the others are refused.
        var (server, client) = await Start(Options(instances: 1, queue: 0, maxBody: 4 << 20, maxPixels: 1_000_000));
        await using var _ = server;
        byte[] image = ImageFile.EncodePng(SegmenterFixture.Image(320, 240, 7));
        const string slow = "/v1/segment?tta_flip=true&tta_scales=0.5,1,1.5";
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            var response = await client.PostAsync(slow, Raw(image));
            return (response, Bytes: await response.Content.ReadAsByteArrayAsync());
        }));
        var refused = answers.Where(a => a.response.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        var served = answers.Where(a => a.response.StatusCode == HttpStatusCode.OK).ToList();
        Assert.Equal(12, refused.Count + served.Count);
        Assert.NotEmpty(refused);
        Assert.NotEmpty(served);
        Assert.Equal("1", refused[0].response.Headers.RetryAfter?.ToString());
        Assert.Contains("busy", await Problem(refused[0].response, HttpStatusCode.ServiceUnavailable));
        using var segmenter = Segmenter.Load(SegmenterFixture.Onnx);
        byte[] expected = segmenter.Segment(image, "x.png", InferenceOptions.FromFlags(null, 0.25, null, true, "0.5,1,1.5")).MaskPng();
        Assert.All(served, s => Assert.Equal(expected, s.Bytes));
        Assert.Equal(refused.Count, server.Metrics.Rejected);
        Assert.Contains($"sharpseg_requests_rejected_total {refused.Count}", await client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_model_that_fails_to_load_keeps_the_server_unready_with_its_one_line_reason()
    {
        string broken = Path.Combine(TestPaths.NewTempDir("serve-broken"), "broken.onnx");
        File.WriteAllBytes(broken, "this is not an onnx model"u8.ToArray());
        var (server, client) = await Start(Options(model: broken), waitForModel: false);
        await using var _ = server;
        await Assert.ThrowsAsync<SharpSegException>(() => server.Ready.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal("ok\n", await client.GetStringAsync("/healthz"));
        Assert.Contains("broken.onnx", await Problem(await client.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable));
        Assert.Contains("broken.onnx", await Problem(await client.PostAsync("/v1/segment", Raw(File.ReadAllBytes(Image("scene")))), HttpStatusCode.ServiceUnavailable));
        Assert.Contains("sharpseg_model_ready 0", await client.GetStringAsync("/metrics"));
    }
}
