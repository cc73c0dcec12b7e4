using System.Net;
using System.Net.Sockets;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// The stream of a pooled upstream connection (a <see cref="NetworkStream"/> subclass: no second layer of calls). It
/// counts itself open on its host for <c>/clusters</c>' <c>cx_active</c> and <c>cx_total</c> while it lives, and an
/// HTTP/1 one notes its local end into the request being written on it (<see cref="UpstreamLocalAddress"/>).
/// </summary>
internal sealed class UpstreamConnectionStream : NetworkStream
{
    private readonly IPEndPoint? _local;
    private readonly bool _recordsLocalAddress;
    private EndpointState? _endpoint;

    public UpstreamConnectionStream(Socket socket, EndpointState? endpoint, bool recordsLocalAddress)
        : base(socket, ownsSocket: true)
    {
        _local = socket.LocalEndPoint as IPEndPoint;
        _recordsLocalAddress = recordsLocalAddress;
        _endpoint = endpoint;
        endpoint?.ConnectionOpened();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Record();
        base.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        Record();
        base.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Record();
        return base.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Record();
        return base.WriteAsync(buffer, offset, count, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        // Counted closed once, however often the pool and a TLS stream above dispose it.
        Interlocked.Exchange(ref _endpoint, null)?.ConnectionClosed();
        base.Dispose(disposing);
    }

    private void Record()
    {
        if (_recordsLocalAddress)
        {
            UpstreamLocalAddress.Record(_local);
        }
    }
}
