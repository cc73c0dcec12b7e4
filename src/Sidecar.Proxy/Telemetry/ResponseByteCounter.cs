using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// Counts the response body bytes written downstream (Envoy's %BYTES_SENT% and istio_response_bytes), for chunked
/// responses whose size no header tells. Sits in front of the server's body feature for one request; pooled with
/// the request state, so counting allocates nothing.
/// </summary>
internal sealed class ResponseByteCounter : Stream, IHttpResponseBodyFeature
{
    private IHttpResponseBodyFeature _inner = null!;
    private PipeWriter? _writer;

    public long BytesWritten { get; private set; }

    /// <summary>The server's own feature, to put back when the request ends.</summary>
    public IHttpResponseBodyFeature Inner => _inner;

    /// <summary>Whether the counter stands in front of a response now.</summary>
    public bool IsAttached => _inner is not null;

    public void Attach(IHttpResponseBodyFeature inner)
    {
        _inner = inner;
        BytesWritten = 0;
        _writer = null;
    }

    public void Detach()
    {
        _inner = null!;
        _writer = null;
    }

    Stream IHttpResponseBodyFeature.Stream => this;

    // Rarely used by the proxy path (the forwarder and local replies write the stream); made on demand.
    PipeWriter IHttpResponseBodyFeature.Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        BytesWritten += count ?? 0;
        return _inner.SendFileAsync(path, offset, count, cancellationToken);
    }

    public Task CompleteAsync() => _inner.CompleteAsync();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        BytesWritten += buffer.Length;
        _inner.Stream.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BytesWritten += buffer.Length;
        return _inner.Stream.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => _inner.Stream.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.Stream.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
