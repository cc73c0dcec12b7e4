namespace Sidecar.LoadHarness.Scenarios;

/// <summary>The HTTP version a scenario speaks to the target (cleartext: HTTP/2 is h2c with prior knowledge).</summary>
public enum HttpProtocol
{
    /// <summary>HTTP/1.1: one request in flight per connection; requests queue at the client when all are busy.</summary>
    Http11,

    /// <summary>HTTP/2 with prior knowledge: requests multiplexed as streams over each connection.</summary>
    Http2,
}
