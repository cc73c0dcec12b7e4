namespace Sidecar.Bookinfo.Contracts;

/// <summary>
/// What the echo workload saw: enough to check a proxy's routing, rewrites and header handling. Header names are in
/// lower case; repeated headers are joined with commas.
/// </summary>
internal sealed record EchoReply(
    string Workload,
    string Version,
    string Method,
    string Path,
    string Host,
    string Query,
    string Protocol,
    IReadOnlyDictionary<string, string> Headers,
    long BodyBytes);
