using System.Net;
using Sidecar.LoadHarness.Running;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Transport;

/// <summary>
/// The scenario's fixed set of connections, and a sender for each request that may be in flight. HTTP/1.1: one
/// <see cref="Http11Connection"/> per connection, one request at a time on each. HTTP/2: one SocketsHttpHandler
/// limited to a single connection per scenario connection, shared round robin by StreamsPerConnection senders whose
/// requests it multiplexes as streams.
/// </summary>
internal sealed class ConnectionSet : IDisposable
{
    private readonly HttpMessageInvoker[] _http2Connections;

    public ConnectionSet(LoadScenario scenario, RequestTemplate template)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(template);
        Senders = new IRequestSender[scenario.MaxInFlight];
        if (scenario.Protocol == HttpProtocol.Http11)
        {
            _http2Connections = [];
            var request = template.EncodeHttp11();
            for (var i = 0; i < Senders.Length; i++)
            {
                Senders[i] = new Http11Connection(template.Uri, request, scenario.Method == HttpMethod.Head);
            }

            return;
        }

        _http2Connections = new HttpMessageInvoker[scenario.Connections];
        for (var i = 0; i < _http2Connections.Length; i++)
        {
            _http2Connections[i] = new HttpMessageInvoker(
                new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = false,
                    UseProxy = false,
                    UseCookies = false,
                    AllowAutoRedirect = false,
                    AutomaticDecompression = DecompressionMethods.None,
                    ConnectTimeout = scenario.Timeout,
                    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                },
                disposeHandler: true);
        }

        for (var i = 0; i < Senders.Length; i++)
        {
            Senders[i] = new HttpClientSender(_http2Connections[i % _http2Connections.Length], template);
        }
    }

    /// <summary>One sender per request that may be in flight (<see cref="LoadScenario.MaxInFlight"/>).</summary>
    public IRequestSender[] Senders { get; }

    public void Dispose()
    {
        foreach (var sender in Senders)
        {
            sender.Dispose();
        }

        foreach (var connection in _http2Connections)
        {
            connection.Dispose();
        }
    }
}
