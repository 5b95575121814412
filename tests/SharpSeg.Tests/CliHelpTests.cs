using Xunit;

namespace SharpSeg.Tests;

/// <summary>Every command's <c>--help</c> renders (Spectre reads option descriptions as markup, so a stray "[" in one
/// crashed <c>export --help</c>), in process, with exit code 0.</summary>
public sealed class CliHelpTests
{
    static List<string[]> Commands()
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
        return commands;
    }

    [Fact]
    public void EveryCommandsHelpRenders()
    {
        var commands = Commands();
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

    [Fact]
    public void A_mistyped_option_is_a_one_line_error_in_every_command()
    {
        // Spectre.Console.Cli collects unknown options silently unless parsing is strict: "--tta-flp" would have run
        // without flip TTA, and "--instancez 3" without its copies.
        foreach (var command in Commands())
        {
            var r = CliRunner.Run([.. command, "--no-such-option", "3"]);
            string name = string.Join(' ', command);
            Assert.True(r.ExitCode == 1, $"{name}: exit {r.ExitCode}\n{r}");
            Assert.Single(r.StdErr.Trim().Split('\n'));
            Assert.Contains("Unknown option 'no-such-option'", r.StdErr);
        }
    }
}
