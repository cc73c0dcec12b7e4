using System.Net;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Running;

/// <summary>
/// The scenario's fixed set of connections: one pool per connection, each limited to a single connection, so a
/// worker bound to pool i always uses connection i (reopened only if the server closes it). Under HTTP/2 each
/// connection multiplexes the requests of its workers as streams.
/// </summary>
internal sealed class ConnectionSet : IDisposable
{
    private readonly HttpMessageInvoker[] _connections;

    public ConnectionSet(LoadScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        _connections = new HttpMessageInvoker[scenario.Connections];
        for (var i = 0; i < _connections.Length; i++)
        {
            _connections[i] = new HttpMessageInvoker(
                new SocketsHttpHandler
                {
                    MaxConnectionsPerServer = 1,
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
    }

    public int Count => _connections.Length;

    public HttpMessageInvoker this[int index] => _connections[index];

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
    }
}
