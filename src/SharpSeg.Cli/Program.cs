return SharpSeg.Cli.CliApp.Run(args);
