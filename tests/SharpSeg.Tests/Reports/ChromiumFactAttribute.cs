using Xunit;

namespace SharpSeg.Tests.Reports;

/// <summary>A test that opens a page in headless Chromium: skipped, with the reason, when /usr/bin/chromium is absent (.ci/run installs it).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists(HeadlessChromium.Executable))
            Skip = $"{HeadlessChromium.Executable} not found: install Debian's chromium package (apt-get install -y chromium; .ci/run does this when it runs as root) to test the HTML reports in a browser";
    }
}
