using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Model;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Owns the data plane's sockets: the capture listeners (15001, 15006) for the process lifetime, and the listeners
/// the config asks to bind (Sidecar ingress/egress), opened and closed as snapshots change. A listener that cannot
/// bind is logged and skipped, as Envoy rejects a listener it cannot bind.
/// </summary>
internal sealed partial class ListenerManager : IHostedService, IAsyncDisposable
{
    private readonly DataPlane _dataPlane;
    private readonly ConnectionDispatcher _dispatcher;
    private readonly ProxyOptions _options;
    private readonly ILogger<ListenerManager> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, (ListenerConfig Config, ProxyListener Listener)> _configured = new(StringComparer.Ordinal);
    private ProxyListener? _outbound;
    private ProxyListener? _inbound;
    private bool _stopped;

    public ListenerManager(DataPlane dataPlane, ConnectionDispatcher dispatcher, ProxyOptions options, ILogger<ListenerManager> logger)
    {
        _dataPlane = dataPlane;
        _dispatcher = dispatcher;
        _options = options;
        _logger = logger;
    }

    public ProxyListener? Outbound => _outbound;

    public ProxyListener? Inbound => _inbound;

    /// <summary>True once the capture listeners are bound and the configured listeners of the current snapshot are open.</summary>
    public bool IsReady { get; private set; }

    public IReadOnlyCollection<ProxyListener> ConfiguredListeners
    {
        get
        {
            _gate.Wait();
            try
            {
                return _configured.Values.Select(v => v.Listener).ToArray();
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _outbound = ProxyListener.Start("virtualOutbound", ListenerKind.OutboundCapture, null, new IPEndPoint(_options.BindAddress, _options.OutboundPort), _dispatcher, _logger);
        _inbound = ProxyListener.Start("virtualInbound", ListenerKind.InboundCapture, null, new IPEndPoint(_options.BindAddress, _options.InboundPort), _dispatcher, _logger);
        _dataPlane.Applied += OnApplied;
        if (_dataPlane.Current is { } current)
        {
            await ReconcileAsync(current).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _dataPlane.Applied -= OnApplied;

        // Not cancelled by the host's shutdown timeout: the listeners are closed whatever time is left (the services
        // stopped before this one may have spent it), and a reconcile holds the gate only while it binds sockets.
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _stopped = true;
            IsReady = false;
            foreach (var (_, listener) in _configured.Values)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            _configured.Clear();
            if (_outbound is not null)
            {
                await _outbound.DisposeAsync().ConfigureAwait(false);
            }

            if (_inbound is not null)
            {
                await _inbound.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private void OnApplied(DataPlaneSnapshot snapshot) => _ = ReconcileAsync(snapshot);

    private async Task ReconcileAsync(DataPlaneSnapshot snapshot)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            var wanted = snapshot.BoundListeners.ToDictionary(l => l.Name, StringComparer.Ordinal);
            foreach (var name in _configured.Keys.ToArray())
            {
                if (!wanted.TryGetValue(name, out var config) || config != _configured[name].Config)
                {
                    await _configured[name].Listener.DisposeAsync().ConfigureAwait(false);
                    _configured.Remove(name);
                    Log.Closed(_logger, name);
                }
            }

            foreach (var config in wanted.Values)
            {
                if (_configured.ContainsKey(config.Name))
                {
                    continue;
                }

                var endpoint = new IPEndPoint(AddressFor(config), config.Port);
                try
                {
                    _configured[config.Name] = (config, ProxyListener.Start(config.Name, ListenerKind.Configured, config, endpoint, _dispatcher, _logger));
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    Log.BindFailed(_logger, config.Name, endpoint.ToString(), ex.Message);
                }
            }

            IsReady = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A listener without its own address (<c>0.0.0.0</c>) takes the sidecar's bind address.</summary>
    private IPAddress AddressFor(ListenerConfig config) =>
        IPAddress.TryParse(config.Address, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)
            ? address
            : _options.BindAddress;

    private static partial class Log
    {
        [LoggerMessage(EventId = 320, Level = LogLevel.Error, Message = "Listener {Name} cannot bind {EndPoint}: {Error}")]
        public static partial void BindFailed(ILogger logger, string name, string endPoint, string error);

        [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "Listener {Name} closed")]
        public static partial void Closed(ILogger logger, string name);
    }
}
