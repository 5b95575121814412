namespace SharpSeg.Cli;

/// <summary>
/// Ctrl+C as a cancellation request for a long command (training, pretraining, embedding, a simulation): while this
/// is alive the first Ctrl+C cancels <see cref="Token"/> instead of killing the process, so the command can save its
/// state and print how to resume. Dispose to restore the default handling.
/// </summary>
internal sealed class ConsoleCancellation : IDisposable
{
    readonly CancellationTokenSource source;
    readonly CancellationToken outer;

    /// <param name="outer">The command's own token (cancelled by the host); <see cref="Token"/> is cancelled by either.</param>
    public ConsoleCancellation(CancellationToken outer)
    {
        this.outer = outer;
        source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += OnCancel;
    }

    /// <summary>Cancelled by Ctrl+C or by the outer token.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>True when Ctrl+C (not the outer token) asked to stop.</summary>
    public bool ByCtrlC => source.IsCancellationRequested && !outer.IsCancellationRequested;

    void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        source.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        source.Dispose();
    }
}
