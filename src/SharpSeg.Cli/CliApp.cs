using SharpSeg.Cli.Commands;
using Spectre.Console.Cli;

namespace SharpSeg.Cli;

/// <summary>The `sharpseg` command tree. Each command parses its arguments, shows progress and calls the library.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("sharpseg");
            config.SetExceptionHandler((ex, _) => ErrorReporter.Report(ex));
            config.AddCommand<InfoCommand>("info").WithDescription("Show engine versions, threads and devices.");
            // data, train, eval, predict, demo: registered here.
        });
        return app.Run(args);
    }
}
