using Xunit;

namespace SharpSeg.Tests;

/// <summary>Every command's <c>--help</c> renders (Spectre reads option descriptions as markup, so a stray "[" in one
/// crashed <c>export --help</c>), in process, with exit code 0.</summary>
public sealed class CliHelpTests
{
    [Fact]
    public void EveryCommandsHelpRenders()
    {
        string source = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "SharpSeg.Cli", "CliApp.cs"));
        var commands = new List<string[]>();
        string? branch = null;
        foreach (var line in source.Split('\n'))
        {
            var b = System.Text.RegularExpressions.Regex.Match(line, @"AddBranch\(""([a-z-]+)""");
            if (b.Success) { branch = b.Groups[1].Value; continue; }
            var c = System.Text.RegularExpressions.Regex.Match(line, @"(\w+)\.AddCommand<\w+>\(""([a-z-]+)""\)");
            if (!c.Success) continue;
            commands.Add(c.Groups[1].Value == "config" ? [c.Groups[2].Value] : [branch!, c.Groups[2].Value]);
        }
        Assert.True(commands.Count >= 25, $"found only {commands.Count} commands in CliApp.cs");
        var failed = new List<string>();
        var stdout = Console.Out;
        try
        {
            Console.SetOut(TextWriter.Null);
            foreach (var command in commands)
                if (Cli.CliApp.Run([.. command, "--help"]) != 0) failed.Add(string.Join(' ', command));
            if (Cli.CliApp.Run(["--help"]) != 0) failed.Add("(root)");
        }
        finally { Console.SetOut(stdout); }
        Assert.True(failed.Count == 0, "--help failed for: " + string.Join(", ", failed));
    }
}
