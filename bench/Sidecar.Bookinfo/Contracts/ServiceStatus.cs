namespace Sidecar.Bookinfo.Contracts;

/// <summary>A health answer, e.g. <c>{"status":"Ratings is healthy"}</c>.</summary>
internal sealed record ServiceStatus(string Status);
