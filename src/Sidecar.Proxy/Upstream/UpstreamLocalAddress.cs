using System.Net;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Envoy's <c>%UPSTREAM_LOCAL_ADDRESS%</c> for HTTP: the address and port of the pooled connection an attempt was
/// written on. HttpClient does not say which connection served a request, but an HTTP/1 connection writes a request
/// on the request's own async flow: the router marks the flow with the request (only when the access log prints the
/// address), and the connection's stream (<see cref="UpstreamConnectionStream"/>) notes its local end into whatever
/// request the writing flow carries.
/// HTTP/2 connections write from their own loop and are not marked (their requests log <c>-</c>).
/// </summary>
internal static class UpstreamLocalAddress
{
    private static readonly AsyncLocal<RequestState?> Writer = new();

    /// <summary>Marks the current flow: an HTTP/1 upstream connection written on it records its local end in <paramref name="state"/>.</summary>
    public static void Track(RequestState state) => Writer.Value = state;

    /// <summary>Notes <paramref name="local"/> into the request the current flow carries, if it is marked.</summary>
    public static void Record(IPEndPoint? local)
    {
        if (Writer.Value is { } state)
        {
            state.UpstreamLocalAddress = local;
        }
    }
}
