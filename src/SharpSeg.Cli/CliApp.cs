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
            config.AddBranch("data", d =>
            {
                d.SetDescription("Check, describe and set up datasets (dataset.yaml).");
                d.AddCommand<DataCheckCommand>("check").WithDescription("Validate every image/mask pair: pairing, sizes, corrupt files, undefined mask values.");
                d.AddCommand<DataStatsCommand>("stats").WithDescription("Class pixel shares, suggested class weights and image sizes per split.");
                d.AddCommand<DataInitCommand>("init").WithDescription("Inspect images and masks folders and write a draft dataset.yaml.");
            });
            // train, eval, predict, demo: registered here.
        });
        return app.Run(args);
    }
}
