using SharpSeg.Imaging;
using SharpSeg.Instances;
using SharpSeg.Models.MaskClassification;
using SharpSeg.Metrics;
using SharpSeg.Training;
using Xunit;
using static TorchSharp.torch;

namespace SharpSeg.Tests.Training;

/// <summary>Panoptic ground truth for the Mask2Former set criterion (<c>loss.thing_classes</c>): one mask per connected
/// component of a thing class, one per stuff class; a tiny mask2former trains on it; the option is refused where it does
/// nothing or names no class.</summary>
[Collection(SequentialCollection.Name)]
public sealed class InstanceMaskTargetsTests
{
    [Fact]
    public void Thing_components_are_separate_masks_and_stuff_classes_one_each()
    {
        using var scope = NewDisposeScope();
        const long I = LabelMask.Ignore;
        // Classes: 0 background (stuff), 1 sky (stuff), 2 disc (thing). Two discs touching only at a corner, a third apart.
        long[] a =
        [
            2, 0, 0, 1, 1,
            0, 2, 0, 1, 1,
            0, 0, 0, I, 2,
        ];
        long[] b = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var target = tensor(a.Concat(b).ToArray(), [2, 3, 5]);
        var targets = InstanceMaskTargets.Build(target, [false, false, true]);
        Assert.Equal(new long[] { 0, 1, 2, 2 }, targets[0].Labels);   // background, sky, then the two 8-connected discs
        var masks = targets[0].Masks;
        Assert.Equal(new long[] { 4, 3, 5 }, masks.shape);
        Assert.Equal(new float[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, masks[2].flatten().data<float>().ToArray());
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, masks[3].flatten().data<float>().ToArray());
        Assert.Equal(4f, masks[1].sum().item<float>());
        Assert.Equal(0f, masks[.., 2, 3].sum().item<float>());            // the ignore pixel is in no mask
        Assert.Equal(14f, targets[0].Valid.sum().item<float>());
        Assert.Equal(new long[] { 0 }, targets[1].Labels);
        // With 4-connectivity the corner-touching discs are separate: three instances.
        Assert.Equal(new long[] { 0, 1, 2, 2, 2 }, InstanceMaskTargets.Build(target, [false, false, true], Connectivity.Four)[0].Labels);
        // No thing class: exactly the semantic targets.
        var semantic = MaskTargets.Semantic(target[0], 3, I);
        var none = InstanceMaskTargets.Build(target, [false, false, false])[0];
        Assert.Equal(semantic.Labels, none.Labels);
        Assert.True(semantic.Masks.eq(none.Masks).all().item<bool>());
        Assert.Contains("has value 7", Assert.Throws<SharpSegException>(() => InstanceMaskTargets.Build(tensor(new long[] { 7 }, [1, 1, 1]), [false, true])).Message);
    }

    [Fact]
    public void A_tiny_mask2former_trains_on_instance_targets_and_the_option_is_checked()
    {
        string[] model = ["model.architecture=mask2former", "model.encoder=resnet18", "model.num_queries=8", "model.hidden_dim=16", "model.decoder_layers=3"];
        string run = TestPaths.NewTempDir("train-mask2former-instances");
        var recipe = TrainingRecipe.Load(null, TrainingFixture.ForEncoder([.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 3, valEvery: 3),
            .. model, "loss.thing_classes=[disc, box, triangle]"]));
        var result = Trainer.Create(recipe, run).Run();
        Assert.Equal(3, result.Iterations);
        var losses = TrainingFixture.Losses(run);
        Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0, $"loss {l}"));

        var wrongName = Assert.Throws<SharpSegException>(() => Trainer.Create(TrainingRecipe.Load(null, TrainingFixture.ForEncoder([.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, 1, 1),
            .. model, "loss.thing_classes=[disk]"])), TestPaths.NewTempDir("train-mask2former-instances-bad")).Run());
        Assert.Contains("loss.thing_classes: no class 'disk'", wrongName.Message);
        Assert.Contains("did you mean 'disc'", wrongName.Message);
        var perPixel = Assert.Throws<SharpSegException>(() => TrainingRecipe.Load(null, [.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, 1, 1), "loss.thing_classes=[disc]"]));
        Assert.Contains("loss.thing_classes applies to architecture mask2former", perPixel.Message);
    }
}
