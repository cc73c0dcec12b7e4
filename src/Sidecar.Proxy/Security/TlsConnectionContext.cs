using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;

namespace Sidecar.Proxy.Security;

/// <summary>
/// A decrypted inbound connection handed to Kestrel's HTTP pipeline: the transport reads and writes the
/// <see cref="SslStream"/>, and disposing or aborting the connection closes it (and the socket under it).
/// </summary>
internal sealed class TlsConnectionContext : DefaultConnectionContext
{
    private readonly SslStream _stream;
    private int _closed;

    public TlsConnectionContext(SslStream stream, EndPoint? local, EndPoint? remote)
        : base(Guid.NewGuid().ToString("N"))
    {
        _stream = stream;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        Transport = new StreamDuplexPipe(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        base.Abort(abortReason);
        Close();
    }

    public override async ValueTask DisposeAsync()
    {
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        Close();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Called once when the connection closes.</summary>
    public Action? Closed { get; set; }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _stream.Dispose();
            Closed?.Invoke();
        }
    }

    private sealed class StreamDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
