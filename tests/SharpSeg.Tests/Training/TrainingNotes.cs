using SharpSeg.Training;

namespace SharpSeg.Tests.Training;

/// <summary>Collects the messages a training run reports, synchronously (IProgress's Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class TrainingNotes(List<string> messages) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) { if (value.Message != null) lock (messages) messages.Add(value.Message); }
}
