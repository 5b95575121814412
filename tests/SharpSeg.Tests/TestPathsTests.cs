using Xunit;

namespace SharpSeg.Tests;

/// <summary>The suite's temp folders: each test's are deleted when it ends, so a CI disk holds one test's files at a time.</summary>
public sealed class TestPathsTests
{
    [Fact]
    public async Task A_tests_folders_are_deleted_when_it_ends_and_shared_fixtures_outlive_it()
    {
        Assert.True(TestPaths.TracksThisTest, "no scope around this test: the assembly's [DeleteTestFolders] attribute is not applied");
        bool keep = Environment.GetEnvironmentVariable("SHARPSEG_KEEP_TEST_FILES") == "1";
        var fixture = TestPaths.SharedLazy(() => TestPaths.NewTempDir("paths-shared"));
        string mine, fromTask, shared;
        using (TestPaths.TestScope())
        {
            mine = TestPaths.NewTempDir("paths-mine");
            File.WriteAllText(Path.Combine(mine, "a.ckpt"), "weights");
            // Work the test starts (tasks, Parallel.For) inherits the scope.
            fromTask = await Task.Run(() => TestPaths.NewTempDir("paths-task"));
            shared = fixture.Value;
        }
        Assert.Equal(keep, Directory.Exists(mine));
        Assert.Equal(keep, Directory.Exists(fromTask));
        Assert.True(Directory.Exists(shared), "a shared fixture's folder was deleted with the test that made it first");
        Assert.True(TestPaths.TracksThisTest, "the outer (test) scope was not restored");
    }
}
