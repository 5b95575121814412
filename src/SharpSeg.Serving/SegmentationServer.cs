using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Models;

namespace SharpSeg.Serving;

/// <summary>
/// <c>sharpseg serve</c>: a <see cref="Segmenter"/> behind HTTP (ASP.NET Core minimal APIs). Endpoints
/// (docs/SERVING.md): <c>POST /v1/segment</c>, <c>GET /v1/model</c>, <c>GET /healthz</c>, <c>GET /readyz</c>,
/// <c>GET /metrics</c> and the web page at <c>/</c>. The model loads in the background after the server starts
/// (<c>/readyz</c> answers 503 until it is ready). Errors are RFC 7807 problem JSON whose <c>detail</c> is the same one
/// line the CLI prints. Bounded concurrency: <see cref="SegmentationServerOptions.Instances"/> requests are segmented at
/// once, <see cref="SegmentationServerOptions.QueueLimit"/> more wait, and further ones get 503 with Retry-After.
/// </summary>
public sealed class SegmentationServer : IAsyncDisposable
{
    readonly SegmentationServerOptions _options;
    readonly TaskCompletionSource<Segmenter> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    JsonObject? _modelDescription;
    long _pending;

    SegmentationServer(SegmentationServerOptions options, WebApplication app)
    {
        _options = options;
        App = app;
    }

    /// <summary>The ASP.NET Core application (for tests: <c>App.GetTestServer()</c> when configured with a test server).</summary>
    public WebApplication App { get; }

    /// <summary>The request counters behind <c>/metrics</c>.</summary>
    public ServerMetrics Metrics { get; } = new();

    /// <summary>Completes with the loaded model, or faults with the load's one-line <see cref="SharpSegException"/>.</summary>
    public Task<Segmenter> Ready => _ready.Task;

    /// <summary>The addresses the server listens on, once started (with the real port when <see cref="SegmentationServerOptions.Port"/> is 0).</summary>
    public IReadOnlyList<string> Urls => App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>
    /// Builds the server (nothing listens or loads yet: <see cref="StartAsync"/>). <paramref name="configure"/> may
    /// change the builder before it is built (tests swap Kestrel for a test server).
    /// </summary>
    public static SegmentationServer Create(SegmentationServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "SharpSeg.Serving" });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("SharpSeg.Serving", LogLevel.Information);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownSeconds));
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The endpoint reads at most MaxBodyBytes itself (413 as problem JSON); Kestrel's own limit is a backstop.
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes + (1 << 20);
            k.AddServerHeader = false;
        });
        string host = options.Host is "0.0.0.0" or "*" ? "0.0.0.0" : options.Host;
        builder.WebHost.UseUrls($"http://{(host.Contains(':') ? $"[{host}]" : host)}:{options.Port}");
        configure?.Invoke(builder);
        var app = builder.Build();
        var server = new SegmentationServer(options, app);
        server.Map(app);
        return server;
    }

    /// <summary>Starts listening, then loads the model in the background (see <see cref="Ready"/>).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await App.StartAsync(cancellationToken).ConfigureAwait(false);
        _ = Task.Run(Load, CancellationToken.None);
    }

    /// <summary>
    /// Starts, waits for the model (a load error stops the server and is thrown), then serves until
    /// <paramref name="cancellationToken"/> is cancelled or the host is told to stop (Ctrl+C, SIGTERM); requests in
    /// flight get <see cref="SegmentationServerOptions.ShutdownSeconds"/> to finish. <paramref name="onReady"/> is called
    /// once the model is loaded, with the addresses.
    /// </summary>
    public async Task RunAsync(Action<IReadOnlyList<string>>? onReady = null, CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await App.StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        onReady?.Invoke(Urls);
        await App.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    void Load()
    {
        var log = App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SharpSeg.Serving");
        try
        {
            var watch = Stopwatch.StartNew();
            if (_options.TorchThreads > 0) Engine.TorchRuntime.SetThreads(_options.TorchThreads);
            var segmenter = Segmenter.Load(_options.ModelPath, new SegmenterOptions(_options.Device, _options.Eager, _options.Instances) { Bf16 = _options.Bf16 }, _options.MaxPixels);
            _modelDescription = Describe(segmenter);
            Metrics.ModelLoadSeconds = watch.Elapsed.TotalSeconds;
            Metrics.Ready = true;
            log.LogInformation("model {Model} loaded in {Seconds:F1} s ({Backend}, {Instances} cop{Plural})", Path.GetFileName(_options.ModelPath),
                watch.Elapsed.TotalSeconds, segmenter.Backend, segmenter.Instances, segmenter.Instances == 1 ? "y" : "ies");
            _ready.TrySetResult(segmenter);
        }
        catch (Exception e)
        {
            var error = e as SharpSegException ?? new SharpSegException($"{_options.ModelPath}: the model could not be loaded ({e.GetType().Name}: {e.Message}).", e);
            log.LogError("{Error}", error.Message);
            _ready.TrySetException(error);
        }
    }

    JsonObject Describe(Segmenter segmenter)
    {
        var info = segmenter.Info;
        long? parameters = null;
        try
        {
            using var model = ModelZoo.Create(info.Config);
            parameters = ModelZoo.CountParameters(model);
        }
        catch (SharpSegException) { }
        return new JsonObject
        {
            ["model_file"] = Path.GetFileName(_options.ModelPath),
            ["backend"] = segmenter.Backend,
            ["architecture"] = info.Model.DeepClone(),
            ["parameters"] = parameters,
            ["image_channels"] = info.ImageChannels,
            ["normalization"] = new JsonObject { ["mean"] = new JsonArray(info.Mean.Select(v => (JsonNode)v).ToArray()), ["std"] = new JsonArray(info.Std.Select(v => (JsonNode)v).ToArray()), ["scale"] = "pixel / 255, then (x - mean) / std per channel" },
            ["inference_scale"] = info.InferenceScale,
            ["classes"] = new JsonArray(segmenter.Classes.Select(c => (JsonNode)new JsonObject
            {
                ["index"] = c.Index,
                ["name"] = c.Name,
                ["color"] = $"#{c.Colour.R:x2}{c.Colour.G:x2}{c.Colour.B:x2}",
            }).ToArray()),
            ["limits"] = new JsonObject
            {
                ["instances"] = segmenter.Instances,
                ["queue_limit"] = _options.QueueLimit,
                ["max_body_bytes"] = _options.MaxBodyBytes,
                ["max_pixels"] = _options.MaxPixels,
            },
        };
    }

    void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var watch = Stopwatch.StartNew();
            Metrics.Started();
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                // A bug, not the user's doing: one line, no stack trace in the answer; the log has it.
                app.Logger.LogError(e, "internal error answering {Path}", context.Request.Path.Value);
                await Problem(context, StatusCodes.Status500InternalServerError, "Internal error",
                    $"internal error: {e.GetType().Name}: {TerminalText.Clean(e.Message)} (a bug in SharpSeg: the server log has the stack trace; please report it).").ConfigureAwait(false);
            }
            finally
            {
                string endpoint = context.GetEndpoint() is RouteEndpoint r ? r.RoutePattern.RawText ?? "other" : "other";
                Metrics.Finished(endpoint, context.Response.StatusCode, watch.Elapsed.TotalSeconds);
            }
        });

        app.MapGet("/", () => Results.Text(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", async context =>
        {
            if (Ready.IsCompletedSuccessfully) { await Results.Text("ready\n").ExecuteAsync(context); return; }
            if (Ready.IsFaulted) { await Problem(context, 503, "Model failed to load", Ready.Exception!.InnerException!.Message); return; }
            context.Response.Headers.RetryAfter = "1";
            await Problem(context, 503, "Model loading", $"{Path.GetFileName(_options.ModelPath)}: the model is still loading; retry shortly.");
        });
        app.MapGet("/metrics", () => Results.Text(Metrics.ToPrometheusText(), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/v1/model", async context =>
        {
            if (await NotReady(context)) return;
            await Results.Json(_modelDescription, Json).ExecuteAsync(context);
        });
        app.MapPost("/v1/segment", Segment);
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("SharpSeg.Serving.index.html")
            ?? throw new InvalidOperationException("the web page is missing from SharpSeg.Serving's resources");
        return new StreamReader(stream).ReadToEnd();
    });

    async Task<bool> NotReady(HttpContext context)
    {
        if (Ready.IsCompletedSuccessfully) return false;
        if (Ready.IsFaulted) await Problem(context, 503, "Model failed to load", Ready.Exception!.InnerException!.Message);
        else
        {
            context.Response.Headers.RetryAfter = "1";
            await Problem(context, 503, "Model loading", $"{Path.GetFileName(_options.ModelPath)}: the model is still loading; retry shortly.");
        }
        return true;
    }

    async Task Segment(HttpContext context)
    {
        if (await NotReady(context)) return;
        var segmenter = Ready.Result;
        SegmentRequest request;
        byte[] image;
        string name;
        try
        {
            (image, name, var fields) = await ReadImage(context);
            request = SegmentRequest.Parse(context.Request.Query, fields);
        }
        catch (RequestError e)
        {
            await Problem(context, e.Status, e.Title, e.Message);
            return;
        }
        catch (SharpSegException e)
        {
            await Problem(context, 400, "Bad request", e.Message);
            return;
        }

        if (Interlocked.Increment(ref _pending) > segmenter.Instances + _options.QueueLimit)
        {
            Interlocked.Decrement(ref _pending);
            Metrics.QueueFull();
            context.Response.Headers.RetryAfter = "1";
            await Problem(context, 503, "Busy", $"all {segmenter.Instances} model cop{(segmenter.Instances == 1 ? "y is" : "ies are")} busy and {_options.QueueLimit} requests are waiting; retry after a second, or start the server with more --instances or a longer --queue.");
            return;
        }
        SegmentationResult result;
        try
        {
            result = await segmenter.SegmentAsync(image, name, request.Inference, context.RequestAborted);
        }
        catch (PixelLimitException e)
        {
            await Problem(context, 413, "Image too large", e.Message);
            return;
        }
        catch (SharpSegException e)
        {
            await Problem(context, 400, "Not a usable image", e.Message);
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }

        switch (request.Format)
        {
            case "png":
                await Png(context, result.MaskPng(), name, "mask");
                break;
            case "color":
                await Png(context, result.ColourMaskPng(), name, "color");
                break;
            case "overlay":
                await Png(context, result.OverlayPng(request.Opacity), name, "overlay");
                break;
            default:
                await Results.Json(SegmentationJson(result, segmenter, request.Rle), Json).ExecuteAsync(context);
                break;
        }
    }

    static async Task Png(HttpContext context, byte[] png, string name, string kind)
    {
        context.Response.ContentType = "image/png";
        context.Response.Headers.ContentDisposition = $"inline; filename=\"{SafeStem(name)}_{kind}.png\"";
        await context.Response.Body.WriteAsync(png, context.RequestAborted);
    }

    static string SafeStem(string name)
    {
        var chars = Path.GetFileNameWithoutExtension(name).Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray();
        return chars.Length == 0 ? "image" : new string(chars);
    }

    static JsonObject SegmentationJson(SegmentationResult result, Segmenter segmenter, bool rle)
    {
        var json = new JsonObject
        {
            ["image"] = result.Summary.Image,
            ["width"] = result.Width,
            ["height"] = result.Height,
            ["tiles"] = result.Tiles,
            ["classes"] = new JsonArray(result.Classes.Select(c => (JsonNode)new JsonObject
            {
                ["index"] = c.Index,
                ["name"] = c.Name,
                ["color"] = c.Index < segmenter.Classes.Count ? $"#{segmenter.Classes[c.Index].Colour.R:x2}{segmenter.Classes[c.Index].Colour.G:x2}{segmenter.Classes[c.Index].Colour.B:x2}" : null,
                ["pixels"] = c.Pixels,
                ["share"] = c.Share,
            }).ToArray()),
        };
        if (rle)
            json["masks"] = new JsonArray(result.Classes.Where(c => c.Pixels > 0).Select(c => (JsonNode)new JsonObject
            {
                ["index"] = c.Index,
                ["name"] = c.Name,
                ["size"] = new JsonArray(result.Height, result.Width),
                ["counts"] = new JsonArray(ClassRle(result.ClassMap, c.Index).Counts.Select(n => (JsonNode)n).ToArray()),
            }).ToArray());
        return json;
    }

    /// <summary>The pixels of class <paramref name="index"/> as COCO RLE (column-major, as pycocotools reads it), the one
    /// run-length encoding of the code base (<see cref="SharpSeg.Instances.CocoRle"/>).</summary>
    static SharpSeg.Instances.CocoRle ClassRle(SharpSeg.Imaging.LabelMask map, int index)
    {
        var mask = new bool[map.Labels.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = map.Labels[i] == index;
        return SharpSeg.Instances.CocoRle.Encode(mask, map.Width, map.Height);
    }

    /// <summary>The image bytes of a request: the body itself (any content type but a form or JSON), the first file of a
    /// multipart form (whose other fields are options like the query's), or a JSON body's base64 <c>image</c> (its other
    /// properties are options). Bodies over the limit are 413.</summary>
    async Task<(byte[] Image, string Name, IReadOnlyDictionary<string, string>? Fields)> ReadImage(HttpContext context)
    {
        var request = context.Request;
        long max = _options.MaxBodyBytes;
        if (request.ContentLength is long length && length > max) throw TooLarge(length);
        // Only a multipart form is a form: curl --data-binary sends application/x-www-form-urlencoded by default, and
        // that body is the image itself.
        if (request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = max, ValueLengthLimit = 1 << 16, BufferBodyLengthLimit = max }, context.RequestAborted);
            }
            catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
            {
                throw TooLarge(null);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new RequestError(400, "Bad form", $"the multipart form could not be read ({TerminalText.Clean(e.Message)}); send the image as a file field, e.g. curl -F image=@photo.jpg.");
            }
            var file = form.Files.FirstOrDefault() ?? throw new RequestError(400, "No image", "the form has no file; send the image as a file field, e.g. curl -F image=@photo.jpg.");
            if (file.Length > max) throw TooLarge(file.Length);
            using var ms = new MemoryStream();
            await file.CopyToAsync(ms, context.RequestAborted);
            var fields = form.Keys.ToDictionary(k => k, k => form[k].ToString());
            return (ms.ToArray(), string.IsNullOrEmpty(file.FileName) ? "upload" : Path.GetFileName(file.FileName), fields);
        }
        var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + n > max) throw TooLarge(null);
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0) throw new RequestError(400, "No image", "the request body is empty; send the bytes of a PNG, JPEG, BMP, WebP or GIF image (curl --data-binary @photo.jpg) or a multipart form with a file.");
        string name = request.Query.TryGetValue("name", out var q) && !string.IsNullOrWhiteSpace(q) ? Path.GetFileName(q.ToString()) : "upload";
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
            return JsonBody(buffer, name);
        return (buffer.ToArray(), name, null);
    }

    /// <summary>A JSON body: <c>{"image": "&lt;base64 of the encoded image&gt;", "name": "photo.jpg", "format": "json", …}</c>;
    /// every property but <c>image</c> is an option as in the query (strings, numbers or booleans).</summary>
    static (byte[] Image, string Name, IReadOnlyDictionary<string, string> Fields) JsonBody(MemoryStream body, string name)
    {
        JsonDocument json;
        try { json = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length), new JsonDocumentOptions { MaxDepth = 4 }); }
        catch (JsonException e) { throw new RequestError(400, "Bad JSON", $"the JSON body is not valid JSON ({TerminalText.Clean(e.Message)}); send {{\"image\": \"<base64>\", \"format\": \"json\"}}."); }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw new RequestError(400, "Bad JSON", "the JSON body must be an object such as {\"image\": \"<base64>\", \"format\": \"json\"}.");
            var fields = new Dictionary<string, string>();
            byte[]? image = null;
            foreach (var p in json.RootElement.EnumerateObject())
            {
                if (p.Name == "image")
                {
                    if (p.Value.ValueKind != JsonValueKind.String || !TryBase64(p.Value.GetString()!, out image))
                        throw new RequestError(400, "Bad JSON", "\"image\" must be the base64 of an encoded image (PNG, JPEG, BMP, WebP, GIF).");
                    continue;
                }
                fields[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => p.Value.GetRawText(),
                    _ => throw new RequestError(400, "Bad option", $"option '{TerminalText.Clean(p.Name)}' must be a string, a number or true/false."),
                };
            }
            if (image is null || image.Length == 0) throw new RequestError(400, "No image", "the JSON body has no \"image\"; send {\"image\": \"<base64 of the image file>\"}.");
            if (fields.Remove("name", out var given) && !string.IsNullOrWhiteSpace(given)) name = Path.GetFileName(given);
            return (image, name, fields);
        }
    }

    static bool TryBase64(string text, out byte[]? bytes)
    {
        try { bytes = Convert.FromBase64String(text); return true; }
        catch (FormatException) { bytes = null; return false; }
    }

    RequestError TooLarge(long? length) => new(413, "Body too large",
        $"the request body{(length is long l ? $" of {l.ToString("N0", CultureInfo.InvariantCulture)} bytes" : "")} is over the limit of {_options.MaxBodyBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes; send a smaller image or start the server with a larger --max-body-mb.");

    /// <summary>Writes an RFC 7807 problem (application/problem+json) whose detail is the one-line message.</summary>
    internal static Task Problem(HttpContext context, int status, string title, string detail) =>
        Results.Problem(detail: TerminalText.Clean(detail).Replace('\n', ' ').Trim(), statusCode: status, title: title,
            instance: context.Request.Path.Value).ExecuteAsync(context);

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync().ConfigureAwait(false);
        if (_ready.Task.IsCompletedSuccessfully) _ready.Task.Result.Dispose();
    }
}
