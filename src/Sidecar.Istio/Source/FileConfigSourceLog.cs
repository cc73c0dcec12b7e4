using Microsoft.Extensions.Logging;

namespace Sidecar.Istio;

/// <summary>The file source's log messages. Event ids 1100-1199 belong to this source; next free id: 1109.</summary>
internal static partial class FileConfigSourceLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information,
        Message = "Loaded config {Version} from {Directory}: {Resources} resources, {Listeners} listeners, {RouteTables} route tables, {Clusters} clusters")]
    public static partial void Loaded(ILogger logger, string version, string directory, int resources, int listeners, int routeTables, int clusters);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Refused config from {Directory}: {Error}")]
    public static partial void Refused(ILogger logger, string directory, string error);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "{File}:{Line}: skipped {Kind} {Name} ({Reason})")]
    public static partial void Skipped(ILogger logger, string file, int line, string kind, string? name, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void TranslationWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "Config in {Directory} reloaded without changes; {Version} stays current")]
    public static partial void Unchanged(ILogger logger, string directory, string version);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Watching {Directory} for changes")]
    public static partial void Watching(ILogger logger, string directory);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Cannot watch {Directory}: {Reason}")]
    public static partial void CannotWatch(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Error, Message = "Reloading {Directory} failed unexpectedly")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "The watcher of {Directory} lost events; reloading")]
    public static partial void WatcherError(ILogger logger, Exception exception, string directory);
}
