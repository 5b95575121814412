using Microsoft.Playwright;
using SharpSeg.Imaging;
using SharpSeg.Inference;
using SharpSeg.Serving;
using SharpSeg.Tests.Reports;
using SharpSeg.Tests.Segmenting;
using Xunit;

namespace SharpSeg.Tests.Serving;

/// <summary>The web page of <c>sharpseg serve</c> in a real browser (Playwright driving Debian's chromium; skipped when
/// it is absent): upload an image, wait for the overlay, read the legend, move the opacity slider, hover, and download the
/// mask, which must equal <c>predict</c>'s.</summary>
public sealed class ServePageBrowserTests(PredictOutputs predict) : IClassFixture<PredictOutputs>
{
    [ChromiumFact]
    public async Task Upload_overlay_legend_slider_hover_and_download_work_offline()
    {
        var server = SegmentationServer.Create(new SegmentationServerOptions(SegmenterFixture.Onnx, Host: "127.0.0.1", Port: 0, MaxPixels: 100_000));
        await using var _ = server;
        await server.StartAsync();
        await server.Ready.WaitAsync(TimeSpan.FromMinutes(1));
        string url = server.Urls.Single();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = HeadlessChromium.Executable,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        var offsite = new List<string>();
        page.Request += (_, r) => { if (!r.Url.StartsWith(url, StringComparison.Ordinal) && !r.Url.StartsWith("blob:", StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)) offsite.Add(r.Url); };

        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("document.getElementById('model').textContent.includes('3 classes')");
        await page.SetInputFilesAsync("#file", Path.Combine(SegmenterFixture.Images, "odd.png"));
        await page.WaitForSelectorAsync("body[data-segmented=true]");

        // The legend names the model's classes with the shares of predict's mask (computed here, not written down: the
        // fixture model's weights come from libtorch's generator, which other tests running beside it also draw from).
        var rows = await page.Locator("#legend tbody tr").AllInnerTextsAsync();
        Assert.Equal(3, rows.Count);
        byte[] predicted = ImageFile.Load(Path.Combine(predict.Folder, "odd_mask.png"), 1).Pixels;
        for (int k = 0; k < 3; k++)
        {
            Assert.Contains($"c{k}", rows[k]);
            double share = 100.0 * predicted.Count(v => v == k) / predicted.Length;
            Assert.Contains(share.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %", rows[k]);
        }

        // The canvas shows the overlay at the image's size; the slider changes it.
        Assert.Equal("37,53", await page.EvaluateAsync<string>("(() => { const c = document.getElementById('canvas'); return c.width + ',' + c.height; })()"));
        const string pixel = "Array.from(document.getElementById('canvas').getContext('2d').getImageData(5, 5, 1, 1).data.slice(0, 3)).join(',')";
        string before = await page.EvaluateAsync<string>(pixel);
        await page.EvaluateAsync("(() => { const s = document.getElementById('opacity'); s.value = '100'; s.dispatchEvent(new Event('input')); })()");
        Assert.Equal("1.00", await page.InnerTextAsync("#opacityValue"));
        string after = await page.EvaluateAsync<string>(pixel);
        Assert.NotEqual(before, after);
        byte[] mask = ImageFile.Load(Path.Combine(predict.Folder, "odd_mask.png"), 1).Pixels;
        using var segmenter = Segmenter.Load(SegmenterFixture.Onnx);
        var colour = segmenter.Classes[mask[5 * 37 + 5]].Colour;
        Assert.Equal($"{colour.R},{colour.G},{colour.B}", after); // opacity 1: the class colour itself

        // Hovering names the class under the pointer (the canvas shown 10× larger, so that the pointer sits well inside
        // one image pixel whatever the browser's rounding of event coordinates).
        await page.EvaluateAsync("document.getElementById('canvas').style.width = '370px'");
        var box = (await page.Locator("#canvas").BoundingBoxAsync())!;
        int x = 20, y = 30;
        const float border = 1; // the canvas's CSS border, inside its bounding box
        await page.Mouse.MoveAsync(box.X + border + (x + 0.5f) * 10, box.Y + border + (y + 0.5f) * 10);
        Assert.Equal($"({x}, {y}): c{mask[y * 37 + x]}", await page.InnerTextAsync("#hover"));

        // The downloaded mask is predict's.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
        Assert.Equal("odd_mask.png", download.SuggestedFilename);
        string saved = Path.Combine(TestPaths.NewTempDir("serve-download"), "odd_mask.png");
        await download.SaveAsAsync(saved);
        Assert.Equal(predict.File("odd", "mask.png"), File.ReadAllBytes(saved));

        Assert.True(errors.Count == 0, "the page reported: " + string.Join(" | ", errors));
        Assert.True(offsite.Count == 0, "the page asked for something the server does not serve: " + string.Join(", ", offsite));
    }
}
