using SharpSeg.Data.Masks;

namespace SharpSeg.Instances;

/// <summary>A mask that could not be read and was skipped: its path and the one-line reason.</summary>
public sealed record InstanceFailure(string File, string Message);

/// <summary>What <see cref="InstanceFolder.Run"/> did: masks written, masks skipped, and the folder-wide files.</summary>
public sealed record InstanceFolderResult(IReadOnlyList<string> Written, IReadOnlyList<InstanceFailure> Skipped, InstanceFolderFiles Files);

/// <summary>
/// <c>sharpseg instances --input masks/</c>: decodes each mask through a class table (<see cref="MaskDecoder"/>) and writes
/// its instances with an <see cref="InstanceWriter"/>, then the folder's summary. A mask that fails with a
/// <see cref="SharpSegException"/> is skipped and recorded (with one input, its error is thrown).
/// </summary>
public static class InstanceFolder
{
    public static InstanceFolderResult Run(IReadOnlyList<string> maskFiles, MaskDecoder decoder, InstanceWriter writer,
        IProgress<(int Done, int Total)>? progress = null, Action<InstanceFailure>? onSkipped = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(maskFiles);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(writer);
        var written = new List<string>();
        var skipped = new List<InstanceFailure>();
        int done = 0;
        foreach (var file in maskFiles)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                writer.Write(file, decoder.Decode(file));
                written.Add(file);
            }
            catch (SharpSegException) when (maskFiles.Count == 1)
            {
                throw;
            }
            catch (SharpSegException e)
            {
                var failure = new InstanceFailure(file, e.Message);
                skipped.Add(failure);
                onSkipped?.Invoke(failure);
            }
            progress?.Report((++done, maskFiles.Count));
        }
        return new InstanceFolderResult(written, skipped, writer.Finish());
    }
}
