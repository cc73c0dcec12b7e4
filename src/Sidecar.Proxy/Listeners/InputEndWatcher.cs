using System.IO.Pipelines;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// A downstream HTTP/2 connection's input, watched for its end: when a stream is aborted while the client's side of
/// the connection is still open, the client reset that stream (Envoy's DR, <c>http2.remote_reset</c>); once it has
/// ended or broken, the connection went away (DC). Kestrel reads the end before it aborts the connection's streams.
/// </summary>
internal sealed class InputEndWatcher(PipeReader inner) : PipeReader
{
    private volatile bool _ended;

    /// <summary>Whether the client's side of the connection has ended (closed, reset or failed).</summary>
    public bool Ended => _ended;

    /// <summary>Puts a watcher on <paramref name="connection"/>'s input.</summary>
    public static InputEndWatcher Watch(Microsoft.AspNetCore.Connections.ConnectionContext connection)
    {
        var watcher = new InputEndWatcher(connection.Transport.Input);
        connection.Transport = new WatchedPipe(watcher, connection.Transport.Output);
        return watcher;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var result = read.Result;
            Note(result);
            return new ValueTask<ReadResult>(result);
        }

        return AwaitAsync(read);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (inner.TryRead(out result))
        {
            Note(result);
            return true;
        }

        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> read)
    {
        try
        {
            var result = await read.ConfigureAwait(false);
            Note(result);
            return result;
        }
        catch
        {
            _ended = true;
            throw;
        }
    }

    private void Note(ReadResult result)
    {
        if (result.IsCompleted)
        {
            _ended = true;
        }
    }

    /// <summary>The connection's transport with the watched input.</summary>
    private sealed class WatchedPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
