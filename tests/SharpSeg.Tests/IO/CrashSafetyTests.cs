using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeg.IO;
using SharpSeg.Tests.Training;
using SharpSeg.Training;
using Xunit;
using SharpSeg.Checkpoints;
using SharpSeg.Metrics;
using SharpSeg.Curation.Simulation;

namespace SharpSeg.Tests.IO;

/// <summary>What a kill at the wrong moment leaves behind: each test stops or tears a write exactly there.</summary>
public sealed class CrashSafetyTests
{
    sealed class SimulatedKill(string path) : Exception($"killed after {path} was written");

    [Fact]
    public void AKillBetweenTheTwoCheckpointWritesNeverLeavesBestOlderThanLastSays()
    {
        // No val split: every validation is a new best, so each one writes both files (4 writes over 2 validations).
        for (int killAfter = 1; killAfter <= 4; killAfter++)
        {
            string run = Path.Combine(TestPaths.NewTempDir("kill-between"), "run");
            var recipe = TrainingRecipe.Load(null, [.. TrainingFixture.TinyRecipe(TrainingFixture.DatasetYaml, iterations: 2, valEvery: 1), "data.val_split=null", "train.workers=0"]);
            int commits = 0;
            AtomicFile.AfterReplace.Value = path =>
            {
                if (path.EndsWith(".ckpt", StringComparison.Ordinal) && ++commits == killAfter) throw new SimulatedKill(path);
            };
            try { Assert.Throws<SimulatedKill>(() => Trainer.Create(recipe, run).Run()); }
            finally { AtomicFile.AfterReplace.Value = null; }

            string last = Path.Combine(run, Trainer.LastCheckpointName), best = Path.Combine(run, Trainer.BestCheckpointName);
            Assert.True(File.Exists(best), $"kill after write {killAfter}: best.ckpt was not written first");
            if (!File.Exists(last)) continue;
            var lastInfo = Checkpoint.Load(last).Info;
            Assert.NotNull(lastInfo.BestIteration);
            // What last.ckpt (the resume point) believes is best must be in best.ckpt, or something newer the resume will redo.
            Assert.True(Checkpoint.Load(best).Info.Iteration >= lastInfo.BestIteration!.Value,
                $"kill after write {killAfter}: last.ckpt says the best is iteration {lastInfo.BestIteration}, best.ckpt holds iteration {Checkpoint.Load(best).Info.Iteration}");
        }
    }

    [Fact]
    public void ATornMetricsLineDoesNotSwallowTheNextRecord()
    {
        string path = Path.Combine(TestPaths.NewTempDir("torn-metrics"), "metrics.jsonl");
        File.WriteAllText(path, "{\"kind\":\"start\",\"iteration\":0}\n{\"kind\":\"train\",\"itera"); // killed mid-line
        using (var log = new MetricsLog(path, append: true)) log.Write(new JsonObject { ["kind"] = "resume", ["iteration"] = 5 });
        var records = MetricsLog.Read(path);
        Assert.Equal(["start", "resume"], records.Select(r => (string?)r["kind"]));
        Assert.Equal(3, File.ReadAllLines(path).Length); // the torn line stays a line of its own
    }

    [Fact]
    public void ATornSimulationResultDoesNotBlockResume()
    {
        string path = Path.Combine(TestPaths.NewTempDir("torn-results"), "results.jsonl");
        var done = new SimulationRunResult { Seed = 1, Strategy = "initial", Labelled = 4, ValMIoU = 0.5, Run = "r", List = "l" };
        JsonLines.Append(path, JsonSerializer.Serialize(done));
        File.AppendAllText(path, "{\"seed\":1,\"strategy\":\"random\",\"lab"); // killed while appending the next run
        var read = JsonLines.Read<SimulationRunResult>(path);
        Assert.Equal(["initial"], read.Select(r => r.Strategy));
        JsonLines.Append(path, JsonSerializer.Serialize(done with { Strategy = "random" }));
        Assert.Equal(["initial", "random"], JsonLines.Read<SimulationRunResult>(path).Select(r => r.Strategy));
    }

    [Fact]
    public void AWriterKilledMidFileLeavesTheOldFileWhole()
    {
        string path = Path.Combine(TestPaths.NewTempDir("atomic-kill"), "a.ckpt");
        AtomicFile.WriteAllText(path, "complete old");
        Assert.Throws<SimulatedKill>(() => AtomicFile.Write(path, s => { s.Write("half of the new"u8); throw new SimulatedKill(path); }));
        Assert.Equal("complete old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void APlantedSymlinkAtATempNameIsNeverFollowed()
    {
        string dir = TestPaths.NewTempDir("atomic-symlink");
        string target = Path.Combine(dir, "model.ckpt"), victim = Path.Combine(dir, "victim.txt");
        File.WriteAllText(victim, "precious");
        // The old temp name was target + ".tmp-" + pid + "-" + thread id: plant links at every name of that form this
        // process could use, and at a few random ones.
        foreach (int thread in Enumerable.Range(1, 64))
            File.CreateSymbolicLink(target + AtomicFile.TempMarker + Environment.ProcessId + "-" + thread, victim);
        AtomicFile.WriteAllText(target, "weights");
        Assert.Equal("weights", File.ReadAllText(target));
        Assert.Equal("precious", File.ReadAllText(victim));

        var names = new HashSet<string>();
        for (int i = 0; i < 3; i++)
        {
            AtomicFile.Write(target, s =>
            {
                names.Add(Directory.GetFiles(dir, "model.ckpt" + AtomicFile.TempMarker + "*").Except(Directory.GetFiles(dir).Where(f => new FileInfo(f).LinkTarget != null)).Single());
                s.Write("x"u8);
            });
        }
        Assert.Equal(3, names.Count); // a new, unpredictable name each time
    }

    [Fact]
    public void FoldersAreSyncedAndAMissingOneIsAnError()
    {
        AtomicFile.SyncFolder(TestPaths.NewTempDir("sync"));
        Assert.Throws<IOException>(() => AtomicFile.SyncFolder(Path.Combine(TestPaths.NewTempDir("sync"), "missing")));
    }
}
