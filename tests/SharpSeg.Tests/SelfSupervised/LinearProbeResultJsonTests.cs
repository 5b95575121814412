using System.Text.Json.Nodes;
using SharpSeg.Metrics;
using SharpSeg.SelfSupervised;
using Xunit;

namespace SharpSeg.Tests.SelfSupervised;

/// <summary>The probe's JSON (<c>sharpseg probe --out</c>) is built by the library.</summary>
public sealed class LinearProbeResultJsonTests
{
    static LinearProbeResult Result()
    {
        var cm = new ConfusionMatrix(2);
        cm.Update(new byte[] { 0, 0, 1, 1 }, new byte[] { 0, 1, 1, 1 });
        return new LinearProbeResult(cm.Compute(["bg", "fg"]), 0.25, 64, 8, 12, TimeSpan.FromSeconds(3.5));
    }

    [Fact]
    public void The_json_holds_the_settings_and_the_metrics_in_a_fixed_order()
    {
        var options = new LinearProbeOptions { Iterations = 7, Lr = 0.02, BatchSize = 4, Stage = 2, Scale = 0.5, Seed = 3 };
        var json = JsonNode.Parse(Result().ToJson("enc.ckpt", "resnet18", "data/dataset.yaml", "train", "val", options))!.AsObject();
        Assert.Equal(new[] { "encoder", "pretrained", "seed", "data", "train_split", "val_split", "scale", "stage", "iterations", "lr",
            "batch_size", "final_loss", "feature_channels", "feature_stride", "elapsed_s", "metrics" }, json.Select(p => p.Key));
        Assert.Equal("enc.ckpt", (string)json["encoder"]!);
        Assert.True((bool)json["pretrained"]!);
        Assert.Equal(3, (long)json["seed"]!);
        Assert.Equal(Path.GetFullPath("data/dataset.yaml"), (string)json["data"]!);
        Assert.Equal("train", (string)json["train_split"]!);
        Assert.Equal("val", (string)json["val_split"]!);
        Assert.Equal(0.5, (double)json["scale"]!);
        Assert.Equal(2, (int)json["stage"]!);
        Assert.Equal(7, (int)json["iterations"]!);
        Assert.Equal(0.02, (double)json["lr"]!);
        Assert.Equal(4, (int)json["batch_size"]!);
        Assert.Equal(0.25, (double)json["final_loss"]!);
        Assert.Equal(64, (int)json["feature_channels"]!);
        Assert.Equal(8, (int)json["feature_stride"]!);
        Assert.Equal(3.5, (double)json["elapsed_s"]!);
        Assert.Equal(JsonNode.Parse(Result().Validation.ToJson())!.ToJsonString(), json["metrics"]!.ToJsonString());
        Assert.NotNull(json["metrics"]!["mean_iou"]);
    }

    [Fact]
    public void A_random_init_names_its_encoder_and_is_not_pretrained()
    {
        var json = JsonNode.Parse(Result().ToJson(null, "unet", "d.yaml", "train", "val", new LinearProbeOptions()))!;
        Assert.Equal("unet", (string)json["encoder"]!);
        Assert.False((bool)json["pretrained"]!);
        Assert.Equal(300, (int)json["iterations"]!);
    }
}
