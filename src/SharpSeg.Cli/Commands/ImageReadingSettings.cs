using System.ComponentModel;
using Spectre.Console.Cli;

namespace SharpSeg.Cli.Commands;

/// <summary>
/// The option every command that decodes images or masks shares: the pixel limit (<see cref="Imaging.PixelLimit"/>),
/// applied before the command runs (<see cref="PixelLimitInterceptor"/>).
/// </summary>
public class ImageReadingSettings : CommandSettings
{
    [CommandOption("--max-pixels <N>")]
    [Description("Refuse images whose header claims more pixels than this (width × height; K/M/G suffixes, e.g. 500M). Default 256M.")]
    public string? MaxPixels { get; init; }
}

/// <summary>Sets the pixel limit from <see cref="ImageReadingSettings.MaxPixels"/> before a command runs.</summary>
public sealed class PixelLimitInterceptor : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (settings is ImageReadingSettings { MaxPixels: { } text })
            Imaging.PixelLimit.MaxPixels = Imaging.PixelLimit.Parse(text, "--max-pixels");
    }
}
