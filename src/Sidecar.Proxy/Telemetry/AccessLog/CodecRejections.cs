using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// The requests Kestrel's HTTP/1 parser refuses and answers itself (a malformed request line or header, headers too
/// large): Envoy's codec logs such a stream, <c>"- - HTTP/1.1" 400 DPE http1.codec_error</c>, and Kestrel tells of
/// them only through its <c>BadRequests</c> log, which this provider listens to at Debug for that category alone.
/// </summary>
/// <remarks>Kestrel has no other hook: the refusal happens before any application or middleware sees a request.</remarks>
internal sealed class CodecRejections(RelayedConnections connections) : ILoggerProvider
{
    /// <summary>Kestrel's category for the requests it refuses (its event 17, <c>ConnectionBadRequest</c>).</summary>
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    /// <summary>Raised with the refused request's connection and the status Kestrel answered.</summary>
    public event Action<ConnectionContext, ProxyConnection, int>? Rejected;

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Listener(this) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private void OnBadRequest(string connectionId, int status)
    {
        if (Rejected is { } rejected && connections.TryGet(connectionId, out var open))
        {
            rejected(open.Connection, open.Proxy, status);
        }
    }

    private sealed class Listener(CodecRejections owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel == LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != 17 || exception is not Microsoft.AspNetCore.Http.BadHttpRequestException bad || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                return;
            }

            foreach (var (key, value) in values)
            {
                if (key == "ConnectionId" && value is string connectionId)
                {
                    owner.OnBadRequest(connectionId, bad.StatusCode);
                    return;
                }
            }
        }
    }
}
