namespace SharpSeg.Serving;

/// <summary>A request the server refuses before segmenting: HTTP status, problem title and the one-line detail.</summary>
sealed class RequestError(int status, string title, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
}
