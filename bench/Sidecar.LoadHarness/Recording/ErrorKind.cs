namespace Sidecar.LoadHarness.Recording;

/// <summary>Why a request got no complete response.</summary>
public enum ErrorKind
{
    /// <summary>The connection could not be made (refused, unreachable, name not resolved).</summary>
    Connect,

    /// <summary>No complete response within the scenario's timeout.</summary>
    Timeout,

    /// <summary>The connection closed or reset before the response was complete.</summary>
    Reset,

    /// <summary>The response broke HTTP (malformed, HTTP/2 protocol error).</summary>
    Protocol,

    /// <summary>Still waiting for a connection when the run ended: the client queue never drained.</summary>
    Unsent,

    /// <summary>The run was cancelled while the request was in flight.</summary>
    Cancelled,

    /// <summary>Anything else.</summary>
    Other,
}
