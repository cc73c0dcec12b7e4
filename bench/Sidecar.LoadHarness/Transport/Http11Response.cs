namespace Sidecar.LoadHarness.Transport;

/// <summary>One response as a load test keeps it.</summary>
internal readonly record struct Http11Response(int Status, long BodyBytes, bool CloseConnection);
