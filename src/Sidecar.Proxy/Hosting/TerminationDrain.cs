using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy;

/// <summary>
/// pilot-agent's termination on SIGTERM (<c>Agent.terminate</c>): inbound connections are drained (Envoy's
/// <c>drain_listeners?inboundonly&amp;graceful</c>) while every listener keeps serving, so the app's own outbound calls
/// and callers that have not yet seen the endpoint go away still work; then, after <c>TERMINATION_DRAIN_DURATION</c>
/// (or, with <c>EXIT_ON_ZERO_ACTIVE_CONNECTIONS</c>, after <c>MINIMUM_DRAIN_DURATION</c> and once no downstream
/// connection is left), the listeners close and the process exits. Runs before the hosted services stop.
/// </summary>
internal sealed partial class TerminationDrain : IHostedLifecycleService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private readonly ProxyOptions _options;
    private readonly ProxyReadiness _readiness;
    private readonly DownstreamConnections _connections;
    private readonly TimeProvider _time;
    private readonly ILogger<TerminationDrain> _logger;
    private volatile bool _skip;

    public TerminationDrain(ProxyOptions options, ProxyReadiness readiness, DownstreamConnections connections, TimeProvider time, ILogger<TerminationDrain> logger)
    {
        _options = options;
        _readiness = readiness;
        _connections = connections;
        _time = time;
        _logger = logger;
    }

    /// <summary>Exit without the drain period (Envoy's own admin <c>/quitquitquit</c>).</summary>
    public void Skip() => _skip = true;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_skip)
        {
            return;
        }

        _readiness.BeginDrain(inboundOnly: true);
        try
        {
            if (!_options.ExitOnZeroActiveConnections)
            {
                Log.Draining(_logger, _options.DrainDuration.TotalSeconds);
                await Task.Delay(_options.DrainDuration, _time, cancellationToken).ConfigureAwait(false);
                return;
            }

            Log.DrainingUntilIdle(_logger, _options.MinimumDrainDuration.TotalSeconds);
            await Task.Delay(_options.MinimumDrainDuration, _time, cancellationToken).ConfigureAwait(false);
            while (_connections.Active > 0)
            {
                await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Draining inbound connections for {Seconds} s before exiting")]
        public static partial void Draining(ILogger logger, double seconds);

        [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Draining inbound connections for at least {Seconds} s, then until no downstream connection is left")]
        public static partial void DrainingUntilIdle(ILogger logger, double seconds);
    }
}
