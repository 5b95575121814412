using System.Text.Json;
using SharpSeg.Cli.Commands;
using SharpSeg.SelfSupervised;
using Xunit;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>One source of pretraining defaults: <c>sharpseg pretrain</c> with no options is <c>new PretrainOptions()</c>.</summary>
public sealed class PretrainDefaultsTests
{
    [Fact]
    public void The_cli_without_options_resolves_to_the_library_defaults()
    {
        var fromCli = PretrainCommand.ToOptions(new PretrainCommand.Settings());
        // Compared as JSON: every saved field, including the encoder's ModelConfig and the crop array.
        Assert.Equal(JsonSerializer.Serialize(new PretrainOptions()), JsonSerializer.Serialize(fromCli));
    }

    [Fact]
    public void The_default_method_is_dense_as_documented()
    {
        Assert.Equal(PretrainMethod.Dense, new PretrainOptions().Method);
        Assert.Equal(PretrainMethod.Dense, PretrainCommand.ToOptions(new PretrainCommand.Settings()).Method);
    }

    [Fact]
    public void Given_options_override_the_defaults()
    {
        var o = PretrainCommand.ToOptions(new PretrainCommand.Settings
        {
            Images = ["a"], Method = "simclr", Iterations = 7, Epochs = 3, Crop = "64x96", Channels = 1, Encoder = "unet", Normalize = " None ",
        });
        Assert.Equal(PretrainMethod.SimClr, o.Method);
        Assert.Equal(7, o.Iterations);
        Assert.Equal(0, o.Epochs); // --iterations is the budget
        Assert.Equal(new[] { 64, 96 }, o.Crop);
        Assert.Equal(1, o.Encoder.InChannels);
        Assert.Equal("unet", o.Encoder.Encoder);
        Assert.Equal("none", o.Normalize);
        Assert.Equal(3, PretrainCommand.ToOptions(new PretrainCommand.Settings { Epochs = 3 }).Epochs);
    }
}
