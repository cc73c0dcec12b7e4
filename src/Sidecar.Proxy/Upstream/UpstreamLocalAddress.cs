using System.Net;
using System.Net.Sockets;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Envoy's <c>%UPSTREAM_LOCAL_ADDRESS%</c> for HTTP: the address and port of the pooled connection an attempt was
/// written on. HttpClient does not say which connection served a request, but an HTTP/1 connection writes a request
/// on the request's own async flow: the router marks the flow with the request (only when the access log prints the
/// address), and the connection's stream notes its local end into whatever request the writing flow carries.
/// HTTP/2 connections write from their own loop and are not marked (their requests log <c>-</c>).
/// </summary>
internal static class UpstreamLocalAddress
{
    private static readonly AsyncLocal<RequestState?> Writer = new();

    /// <summary>Marks the current flow: an HTTP/1 upstream connection written on it records its local end in <paramref name="state"/>.</summary>
    public static void Track(RequestState state) => Writer.Value = state;

    /// <summary>Opens an HTTP/1 connection's stream over <paramref name="socket"/>, which records as it writes.</summary>
    public static Stream RecordingStream(Socket socket) => new Recording(socket);

    private static void Record(IPEndPoint? local)
    {
        if (Writer.Value is { } state)
        {
            state.UpstreamLocalAddress = local;
        }
    }

    /// <summary>A NetworkStream that notes its local end on each write (a subclass: no second layer of calls).</summary>
    private sealed class Recording(Socket socket) : NetworkStream(socket, ownsSocket: true)
    {
        private readonly IPEndPoint? _local = socket.LocalEndPoint as IPEndPoint;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Record(_local);
            base.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Record(_local);
            base.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Record(_local);
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Record(_local);
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }
    }
}
