namespace SharpSeg;

/// <summary>
/// An error the user can cause and fix (a bad path, a mask that does not match its image, a typo in a YAML key).
/// The message is one line that says what is wrong, which file, and how to fix it; front ends print it as is,
/// without a stack trace, and exit non-zero.
/// </summary>
public class SharpSegException : Exception
{
    /// <summary>The message is made safe for a terminal (<see cref="TerminalText.Clean"/>): it usually names a file, and
    /// a file name is the user's data.</summary>
    public SharpSegException(string message) : base(TerminalText.Clean(message)) { }
    public SharpSegException(string message, Exception inner) : base(TerminalText.Clean(message), inner) { }

    /// <summary>Optional multi-line detail that front ends print after the one-line message (e.g. the table of
    /// missing / unexpected / shape-mismatched keys when weights do not fit a model); null for most errors.</summary>
    public string? Details { get; init; }
}
