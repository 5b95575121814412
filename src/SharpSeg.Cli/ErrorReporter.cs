using SharpSeg;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SharpSeg.Cli;

/// <summary>Turns any exception into one line on stderr and an exit code; stack traces only with SHARPSEG_DEBUG=1.</summary>
public static class ErrorReporter
{
    /// <summary>Exit code for a user error (bad input, bad arguments, problems found in data).</summary>
    public const int UserError = 1;
    /// <summary>Exit code for a bug in SharpSeg itself.</summary>
    public const int InternalError = 70;

    public static int Report(Exception ex)
    {
        bool debug = Environment.GetEnvironmentVariable("SHARPSEG_DEBUG") == "1";
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // One line means one line: never wrap the message at the terminal width (80 columns when redirected).
        err.Profile.Width = int.MaxValue / 4;
        switch (ex)
        {
            case SharpSegException user:
                err.MarkupLine($"[red]error:[/] {ConsoleOutput.Escape(OneLine(user.Message))}");
                if (user.Details != null) err.WriteLine(user.Details);
                if (debug) err.WriteException(ex);
                return UserError;
            case CommandAppException cli:
                err.MarkupLine($"[red]error:[/] {ConsoleOutput.Escape(OneLine(cli.Message))} (see 'sharpseg --help')");
                return UserError;
            case OperationCanceledException:
                err.MarkupLine("[yellow]cancelled[/]");
                return 130;
            default:
                err.MarkupLine($"[red]internal error:[/] {ConsoleOutput.Escape(OneLine(ex.GetType().Name + ": " + ex.Message))} (a bug in SharpSeg: rerun with SHARPSEG_DEBUG=1 for the stack trace and report it)");
                if (debug) err.WriteException(ex);
                return InternalError;
        }
    }

    // One line, and no terminal escapes from file names in it.
    static string OneLine(string s) => TerminalText.Clean(s).Trim();
}
