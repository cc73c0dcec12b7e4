using Microsoft.Extensions.Logging;

namespace Sidecar.Identity;

/// <summary>
/// Holds the current workload certificate and keeps it fresh: fetched at start, renewed at half-life with jitter
/// (<see cref="RotationSchedule"/>), retried with backoff when the provider fails, and re-read when a file-based
/// provider reports a change. Publishing is one reference swap: TLS handshakes read <see cref="Current"/> each time,
/// so new connections use the new certificate while established ones keep theirs.
/// </summary>
public sealed partial class CertificateStore : IAsyncDisposable
{
    private static readonly TimeSpan MinimumDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaximumRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>Long-lived certificates (mounted files valid for a year) are re-checked daily; timers cannot wait longer than ~24 days anyway.</summary>
    private static readonly TimeSpan MaximumWait = TimeSpan.FromDays(1);
    private readonly ICertificateProvider _provider;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _changed = new(0);
    private WorkloadCertificate? _current;
    private Task? _loop;

    public CertificateStore(ICertificateProvider provider, TimeProvider time, ILogger logger, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
        _time = time;
        _logger = logger;
        _random = random ?? Random.Shared;
        if (provider is IWatchedCertificateProvider watched)
        {
            watched.Changed += () => _changed.Release();
        }
    }

    /// <summary>The certificate new handshakes use; null until the first fetch succeeded.</summary>
    public WorkloadCertificate? Current => Volatile.Read(ref _current);

    /// <summary>How many certificates have been published (1 after the first fetch).</summary>
    public int Generation { get; private set; }

    /// <summary>Fetches the first certificate (retrying until <paramref name="cancellationToken"/> fires), then renews in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        await FetchWithRetryAsync(linked.Token).ConfigureAwait(false);
        _loop = Task.Run(() => RenewLoopAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>Publishes a certificate (used by the loop; also lets tests and benchmarks seed the store).</summary>
    public void Publish(WorkloadCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Volatile.Write(ref _current, certificate);
        Generation++;
        Log.Published(_logger, certificate.SpiffeId ?? "-", certificate.NotAfter, _provider.Description);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
        _changed.Dispose();
        (_provider as IDisposable)?.Dispose();
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var current = Current!;
            var delay = RotationSchedule.RenewAt(current.NotBefore, current.NotAfter, _random) - _time.GetUtcNow();
            if (delay < MinimumDelay)
            {
                delay = MinimumDelay;
            }

            if (delay > MaximumWait)
            {
                // Not due yet: look again later (and on any change signal) without fetching.
                if (!await _changed.WaitAsync(MaximumWait, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                await FetchWithRetryAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Wake at the renewal time, or earlier when the provider says its source changed (mounted files).
            await _changed.WaitAsync(delay, cancellationToken).ConfigureAwait(false);
            await FetchWithRetryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FetchWithRetryAsync(CancellationToken cancellationToken)
    {
        var retry = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                Publish(await _provider.FetchAsync(cancellationToken).ConfigureAwait(false));
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The old certificate keeps serving until it expires; keep trying.
                Log.FetchFailed(_logger, _provider.Description, retry, ex);
                await Task.Delay(retry, _time, cancellationToken).ConfigureAwait(false);
                retry = retry * 2 > MaximumRetryDelay ? MaximumRetryDelay : retry * 2;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Workload certificate for {SpiffeId} valid until {NotAfter:O} from {Source}")]
        public static partial void Published(ILogger logger, string spiffeId, DateTimeOffset notAfter, string source);

        [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Could not get a workload certificate from {Source}; retrying in {Retry}")]
        public static partial void FetchFailed(ILogger logger, string source, TimeSpan retry, Exception exception);
    }
}
