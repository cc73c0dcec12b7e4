using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Istio.Parsing;
using Sidecar.Istio.Translation;
using Sidecar.Model;

namespace Sidecar.Istio;

/// <summary>
/// The standalone config source: a directory of Istio YAML, translated as istiod would for this proxy and published
/// to the <see cref="ProxyConfigStore"/>; watched for changes (debounced), so an edit is live within a couple of
/// seconds. A set with any invalid resource is refused as a whole, its errors logged as
/// <c>file: Kind ns/name: field: message</c>, and the last good snapshot keeps serving.
/// </summary>
public sealed class FileConfigSource : IHostedService, IDisposable
{
    /// <summary>How long the directory must stay quiet after a change before it is reloaded.</summary>
    internal static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(150);

    private readonly FileConfigSourceOptions _options;
    private readonly ProxyConfigStore _store;
    private readonly ILogger<FileConfigSource> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _reloadLock = new();
    private readonly ReloadDebouncer _debouncer;
    private FileSystemWatcher? _watcher;
    private ProxyConfig? _lastPublished;
    private bool _earlyReadTaken;

    public FileConfigSource(FileConfigSourceOptions options, ProxyConfigStore store, ILogger<FileConfigSource> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _store = store;
        _logger = logger;
        _timeProvider = timeProvider;
        _debouncer = new ReloadDebouncer(timeProvider, QuietPeriod, ReloadFromWatcher);
    }

    /// <summary>Loads the directory once (publishing or refusing) before returning, then watches it.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Reload();
        StartWatching();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        StopWatching();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts reading and translating <paramref name="options"/>' directory on the thread pool now, so a host can
    /// overlap that with building itself (two thirds of start-up with a mesh of hundreds of services); the source's
    /// first load then publishes this result instead of reading the directory again.
    /// </summary>
    public static FileConfigSourceOptions WithEarlyRead(FileConfigSourceOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return options with { EarlyRead = Task.Run(() => Read(options, timeProvider.GetUtcNow())) };
    }

    /// <summary>Reloads the directory now. Returns the errors that refused it (empty when it was published or unchanged).</summary>
    public IReadOnlyList<ConfigError> Reload()
    {
        lock (_reloadLock)
        {
            var read = TakeEarlyRead() ?? Read(_options, _timeProvider.GetUtcNow());
            var directory = _options.Directory;
            foreach (var skipped in read.Parsed.Skipped)
            {
                FileConfigSourceLog.Skipped(_logger, skipped.File, skipped.Line, skipped.Kind, skipped.Name, skipped.Reason);
            }

            if (!read.Parsed.IsValid)
            {
                return Refuse(read.Parsed.Errors, read.At);
            }

            var result = read.Translation!;
            foreach (var warning in result.Warnings)
            {
                FileConfigSourceLog.TranslationWarning(_logger, warning);
            }

            if (!result.IsValid)
            {
                return Refuse(result.Errors, read.At);
            }

            var config = result.Config!;
            if (_lastPublished is { } last && ConfigFingerprint.SameContent(last, config))
            {
                FileConfigSourceLog.Unchanged(_logger, directory, last.Version);
                return [];
            }

            var errors = _store.TryPublish(config, _timeProvider);
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    FileConfigSourceLog.Refused(_logger, directory, error.ToString());
                }

                return errors;
            }

            _lastPublished = config;
            FileConfigSourceLog.Loaded(_logger, config.Version, directory, read.Parsed.Resources.Count, config.Listeners.Count, config.RouteTables.Count, config.Clusters.Count);
            return [];
        }
    }

    /// <summary>Parses the directory and, when every resource parsed, translates it: no logging, no publishing.</summary>
    private static DirectoryRead Read(FileConfigSourceOptions options, DateTimeOffset now)
    {
        var parsed = IstioYamlParser.ParseDirectory(options.Directory);
        var translation = parsed.IsValid
            ? IstioConfigTranslator.Translate(parsed.Resources, new TranslationContext
            {
                Workload = options.Workload,
                OutboundTrafficPolicy = options.OutboundTrafficPolicy,
                AutoAllocateAddresses = options.AutoAllocateAddresses,
                Location = options.Directory,
                LoadedAt = now,
            })
            : null;
        return new DirectoryRead(parsed, translation, now);
    }

    /// <summary>The read started by <see cref="WithEarlyRead"/>, once (later loads read the directory afresh).</summary>
    private DirectoryRead? TakeEarlyRead()
    {
        if (_earlyReadTaken || _options.EarlyRead is not { } early)
        {
            return null;
        }

        _earlyReadTaken = true;
        return early.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        StopWatching();
        _debouncer.Dispose();
    }

    private List<ConfigError> Refuse(IReadOnlyList<ConfigError> errors, DateTimeOffset now)
    {
        foreach (var error in errors)
        {
            FileConfigSourceLog.Refused(_logger, _options.Directory, error.ToString());
        }

        _store.Reject(new ConfigRejection(now, _options.Directory, errors.ToEquatableArray()));
        return [.. errors];
    }

    private void StartWatching()
    {
        if (_watcher is not null)
        {
            return;
        }

        if (!Directory.Exists(_options.Directory))
        {
            FileConfigSourceLog.CannotWatch(_logger, _options.Directory, "the directory does not exist");
            return;
        }

        // Any change may matter: YAML files, directories, and the symlink swaps of a mounted ConfigMap.
        var watcher = new FileSystemWatcher(_options.Directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Created += OnChanged;
        watcher.Changed += OnChanged;
        watcher.Deleted += OnChanged;
        watcher.Renamed += OnChanged;
        watcher.Error += OnError;
        watcher.EnableRaisingEvents = true;
        _watcher = watcher;
        FileConfigSourceLog.Watching(_logger, _options.Directory);
    }

    private void StopWatching()
    {
        var watcher = Interlocked.Exchange(ref _watcher, null);
        if (watcher is not null)
        {
            watcher.EnableRaisingEvents = false;
            watcher.Dispose();
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => _debouncer.Signal();

    private void OnError(object sender, ErrorEventArgs e)
    {
        FileConfigSourceLog.WatcherError(_logger, e.GetException(), _options.Directory);
        _debouncer.Signal();
    }

    private void ReloadFromWatcher()
    {
        try
        {
            Reload();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            FileConfigSourceLog.ReloadFailed(_logger, ex, _options.Directory);
        }
    }
}
