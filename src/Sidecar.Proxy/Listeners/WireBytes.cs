using System.Buffers;
using System.IO.Pipelines;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// The bytes an HTTP/1 downstream connection carried each way, as its codec read and wrote them (request line,
/// headers, body, chunk framing): what Envoy's downstream bytes meter reports and Istio's <c>istio_request_bytes</c>
/// and <c>istio_response_bytes</c> record (wire bytes, not body bytes). A request's share is what the connection
/// carried since the previous request on it ended; HTTP/1 requests on a connection take turns.
/// </summary>
internal sealed class WireBytes
{
    private long _received;
    private long _sent;
    private long _receivedMark;
    private long _sentMark;

    /// <summary>Wraps a connection's transport so its reads and writes are counted here.</summary>
    public IDuplexPipe Count(IDuplexPipe transport) => new CountingPipe(transport, this);

    /// <summary>
    /// The bytes received and sent since the last call: the request that just ended. <paramref name="unsent"/> is
    /// what the codec will still write for it (a chunked response's last chunk, written after the handler returns):
    /// counted here rather than for the next request.
    /// </summary>
    public (long Received, long Sent) TakeRequest(int unsent = 0)
    {
        var received = Volatile.Read(ref _received);
        var sent = Volatile.Read(ref _sent) + unsent;
        var result = (received - _receivedMark, sent - _sentMark);
        _receivedMark = received;
        _sentMark = sent;
        return result;
    }

    /// <summary>The last chunk of a chunked HTTP/1.1 body, <c>0\r\n\r\n</c>.</summary>
    public const int LastChunkLength = 5;

    private sealed class CountingPipe(IDuplexPipe inner, WireBytes bytes) : IDuplexPipe
    {
        public PipeReader Input { get; } = new CountingReader(inner.Input, bytes);

        public PipeWriter Output { get; } = new CountingWriter(inner.Output, bytes);
    }

    /// <summary>Counts what the reader's consumer consumes (the codec may examine more than it consumes).</summary>
    private sealed class CountingReader(PipeReader inner, WireBytes bytes) : PipeReader
    {
        private ReadOnlySequence<byte> _last;

        // Pooled: the codec's read waits for the next request on every keep-alive connection.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            _last = result.Buffer;
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            _last = result.Buffer;
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            bytes._received += _last.Slice(_last.Start, consumed).Length;
            _last = default;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
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
