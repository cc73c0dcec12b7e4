using System.IO.Pipelines;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// The bytes an HTTP/1 downstream connection sent back, as its codec wrote them (status line, headers, body, chunk
/// framing): with the request's own bytes (<see cref="Http.ArrivalHeaders.HeaderBytes"/>, its line and body) what
/// Envoy's downstream bytes meter reports and Istio's <c>istio_request_bytes</c> and <c>istio_response_bytes</c>
/// record (wire bytes, not body bytes). A response's share is what the connection sent since the previous request on
/// it ended; HTTP/1 requests on a connection take turns.
/// </summary>
/// <remarks>Only the writer is wrapped: a wrapped reader would cost an async step on every read the codec waits on.</remarks>
internal sealed class WireBytes
{
    private long _sent;
    private long _sentMark;

    /// <summary>Wraps a connection's transport so what it writes is counted here.</summary>
    public IDuplexPipe Count(IDuplexPipe transport) => new CountingPipe(transport, this);

    /// <summary>
    /// The bytes sent since the last call: the response that just ended. <paramref name="unsent"/> is what the codec
    /// will still write for it (a chunked body's last chunk, written after the handler returns): counted here rather
    /// than for the next response.
    /// </summary>
    public long TakeResponse(int unsent = 0)
    {
        var sent = Volatile.Read(ref _sent) + unsent;
        var result = sent - _sentMark;
        _sentMark = sent;
        return result;
    }

    /// <summary>The last chunk of a chunked HTTP/1.1 body, <c>0\r\n\r\n</c>.</summary>
    public const int LastChunkLength = 5;

    private sealed class CountingPipe(IDuplexPipe inner, WireBytes bytes) : IDuplexPipe
    {
        public PipeReader Input { get; } = inner.Input;

        public PipeWriter Output { get; } = new CountingWriter(inner.Output, bytes);
    }

    private sealed class CountingWriter(PipeWriter inner, WireBytes bytes) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int count)
        {
            bytes._sent += count;
            inner.Advance(count);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            bytes._sent += source.Length;
            return inner.WriteAsync(source, cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
