using SharpSeg.Pretrained;
using Xunit;

namespace SharpSeg.Tests.Models;

/// <summary>Where the ImageNet weights are looked for; sequential because it changes a process-wide environment variable.</summary>
[Collection(SequentialCollection.Name)]
public sealed class ImageNetResNet18LocateTests
{
    [Fact]
    public void MissingPackageFolderIsOneClearLine()
    {
        string old = Environment.GetEnvironmentVariable(ImageNetResNet18.ModelsDirectoryVariable) ?? "";
        try
        {
            Environment.SetEnvironmentVariable(ImageNetResNet18.ModelsDirectoryVariable, "/nonexistent/DnnImageModels");
            var e = Assert.Throws<SharpSegException>(() => ImageNetResNet18.Locate());
            Assert.Contains(ImageNetResNet18.ModelsDirectoryVariable, e.Message);
            Assert.DoesNotContain("\n", e.Message);
        }
        finally { Environment.SetEnvironmentVariable(ImageNetResNet18.ModelsDirectoryVariable, old.Length == 0 ? null : old); }
    }
}
