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
            config.AddBranch("data", data =>
            {
                data.SetDescription("Create, check and describe datasets.");
                data.AddCommand<DataSynthCommand>("synth").WithDescription("Write the built-in synthetic scene dataset (6 classes) with a dataset.yaml.");
            });
            // train, eval, predict, demo: registered here.
        });
        return app.Run(args);
    }
}
