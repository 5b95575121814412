using SharpSeg.Imaging;
using SharpSeg.Data.Dataset;
using System.IO.Compression;
using System.Text.Json;
using SharpSeg.Models;
using SharpSeg.SelfSupervised;
using SharpSeg.Training;
using TorchSharp;
using Xunit;
using SharpSeg.Checkpoints;
using SharpSeg.Models.Encoders;

namespace SharpSeg.Tests.Training;

/// <summary>
/// The zip layout both checkpoint kinds share (info.json first, then the weights, then optimiser and RNG state for
/// resuming), and each kind's own wording of the errors a user can cause: pinned so that files written before and
/// after a change read the same.
/// </summary>
public sealed class CheckpointFormatTests
{
    static readonly ModelConfig Tiny = new() { Architecture = "unet", Encoder = "unet", InChannels = 3, NumClasses = 2, Depth = 2, BaseWidth = 4 };

    static List<string> Entries(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Select(e => e.FullName).ToList();
    }

    static CheckpointInfo TrainingInfo() => new()
    {
        Model = JsonSerializer.SerializeToNode(Tiny)!.AsObject(), Classes = new ClassTable([new ClassInfo("a", new Rgb(0, 0, 0), null), new ClassInfo("b", new Rgb(255, 255, 255), null)]),
        Mean = [0.5, 0.5, 0.5], Std = [0.25, 0.25, 0.25], Iteration = 3,
    };

    static EncoderCheckpointInfo EncoderInfo(SegmentationModel m) => new()
    {
        Encoder = "unet", InChannels = 3, Model = JsonSerializer.SerializeToNode(Tiny with { Architecture = "unet" })!.AsObject(),
        OutChannels = m.Encoder.OutChannels.ToArray(), Mean = [0.5, 0.5, 0.5], Std = [0.25, 0.25, 0.25], Method = "simclr", Iterations = 3,
    };

    [Fact]
    public void Both_kinds_write_info_first_then_weights_then_the_resume_state()
    {
        string dir = TestPaths.NewTempDir("ckpt-format");
        using var model = ModelZoo.Create(Tiny);
        using var optimizer = torch.optim.AdamW(model.parameters());

        string train = Path.Combine(dir, "train.ckpt"), weightsOnly = Path.Combine(dir, "weights.ckpt");
        Checkpoint.Save(train, model, TrainingInfo(), optimizer);
        Checkpoint.Save(weightsOnly, model, TrainingInfo());
        Assert.Equal(["info.json", "model.bin", "optimizer.bin", "rng.bin"], Entries(train));
        Assert.Equal(["info.json", "model.bin"], Entries(weightsOnly));
        Assert.True(Checkpoint.Load(train).CanResume);
        Assert.False(Checkpoint.Load(weightsOnly).CanResume);
        Assert.StartsWith("{\n  \"format\": \"sharpseg-checkpoint\"", ReadInfo(train).ReplaceLineEndings("\n"));

        string unfinished = Path.Combine(dir, "unfinished.ckpt"), finished = Path.Combine(dir, "finished.ckpt"), noOptimizer = Path.Combine(dir, "no-opt.ckpt");
        EncoderCheckpoint.Save(unfinished, model.Encoder, EncoderInfo(model), model, optimizer);
        EncoderCheckpoint.Save(finished, model.Encoder, EncoderInfo(model));
        EncoderCheckpoint.Save(noOptimizer, model.Encoder, EncoderInfo(model), model); // heads without an optimiser: not resumable
        Assert.Equal(["info.json", "encoder.bin", "network.bin", "optimizer.bin", "rng.bin"], Entries(unfinished));
        Assert.Equal(["info.json", "encoder.bin"], Entries(finished));
        Assert.Equal(["info.json", "encoder.bin"], Entries(noOptimizer));
        Assert.True(EncoderCheckpoint.Load(unfinished).CanResume);
        Assert.False(EncoderCheckpoint.Load(finished).CanResume);
        Assert.True(EncoderCheckpoint.IsEncoderCheckpoint(finished));
        Assert.False(EncoderCheckpoint.IsEncoderCheckpoint(train));

        // The weights come back as they were written.
        using var again = ModelZoo.Create(Tiny);
        Checkpoint.Load(train).LoadWeights(again);
        var want = model.state_dict();
        foreach (var (name, t) in again.state_dict()) Assert.True(t.eq(want[name]).all().item<bool>(), name);
    }

    static string ReadInfo(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        using var r = new StreamReader(zip.GetEntry("info.json")!.Open());
        return r.ReadToEnd();
    }

    [Fact]
    public void Each_kind_keeps_its_own_wording_for_missing_foreign_and_damaged_files()
    {
        string dir = TestPaths.NewTempDir("ckpt-errors");
        string missing = Path.Combine(dir, "missing.ckpt");
        Assert.Equal($"{missing}: checkpoint not found.", Assert.Throws<SharpSegException>(() => Checkpoint.Load(missing)).Message);
        Assert.Equal($"{missing}: encoder checkpoint not found.", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.Load(missing)).Message);

        string notZip = Path.Combine(dir, "text.ckpt");
        File.WriteAllText(notZip, "not a zip at all");
        Assert.StartsWith($"{notZip}: checkpoint is damaged or not a SharpSeg checkpoint (", Assert.Throws<SharpSegException>(() => Checkpoint.Load(notZip)).Message);
        Assert.StartsWith($"{notZip}: encoder checkpoint is damaged or not a zip (", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.Load(notZip)).Message);
        Assert.False(EncoderCheckpoint.IsEncoderCheckpoint(notZip));

        string noInfo = Path.Combine(dir, "no-info.ckpt");
        using (var zip = ZipFile.Open(noInfo, ZipArchiveMode.Create)) zip.CreateEntry("model.bin");
        Assert.Equal($"{noInfo}: not a SharpSeg checkpoint (no info.json inside).", Assert.Throws<SharpSegException>(() => Checkpoint.Load(noInfo)).Message);
        Assert.Equal($"{noInfo}: not a SharpSeg encoder checkpoint (no info.json inside).", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.Load(noInfo)).Message);

        string badJson = Path.Combine(dir, "bad-json.ckpt");
        using (var zip = ZipFile.Open(badJson, ZipArchiveMode.Create))
        using (var w = new StreamWriter(zip.CreateEntry("info.json").Open())) w.Write("{ not json");
        Assert.StartsWith($"{badJson}: checkpoint metadata is damaged (", Assert.Throws<SharpSegException>(() => Checkpoint.Load(badJson)).Message);
        Assert.StartsWith($"{badJson}: encoder checkpoint metadata is damaged (", Assert.Throws<SharpSegException>(() => EncoderCheckpoint.Load(badJson)).Message);
    }
}
