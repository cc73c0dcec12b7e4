namespace Sidecar.Model;

/// <summary>
/// Holds the current snapshot. Sources publish whole snapshots (one reference swap); readers take
/// <see cref="Current"/> once per request or connection and finish on it. Refusals are recorded for health figures;
/// they never replace the snapshot being served.
/// </summary>
public sealed class ProxyConfigStore
{
    private ProxyConfig? _current;
    private ConfigRejection? _lastRejection;
    private long _pushCount;
    private long _rejectedCount;

    /// <summary>The snapshot being served, or null before the first valid config arrives.</summary>
    public ProxyConfig? Current => Volatile.Read(ref _current);

    public ConfigRejection? LastRejection => Volatile.Read(ref _lastRejection);

    /// <summary>Snapshots accepted since start.</summary>
    public long PushCount => Interlocked.Read(ref _pushCount);

    /// <summary>Configs refused since start.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejectedCount);

    /// <summary>Raised after a snapshot becomes current (on the publishing thread).</summary>
    public event Action<ProxyConfig>? Published;

    /// <summary>Raised after a config is refused (on the publishing thread).</summary>
    public event Action<ConfigRejection>? Rejected;

    /// <summary>
    /// Validates and publishes <paramref name="config"/>; on any error nothing changes, the refusal is recorded and
    /// the errors are returned.
    /// </summary>
    public IReadOnlyList<ConfigError> TryPublish(ProxyConfig config, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = ProxyConfigValidator.Validate(config);
        if (errors.Count > 0)
        {
            Reject(new ConfigRejection((timeProvider ?? TimeProvider.System).GetUtcNow(), config.Origin.Location, errors.ToEquatableArray()));
            return errors;
        }

        Volatile.Write(ref _current, config);
        Interlocked.Increment(ref _pushCount);
        Published?.Invoke(config);
        return [];
    }

    /// <summary>Records a refusal made by a source before it had a snapshot to publish.</summary>
    public void Reject(ConfigRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        Volatile.Write(ref _lastRejection, rejection);
        Interlocked.Increment(ref _rejectedCount);
        Rejected?.Invoke(rejection);
    }
}
