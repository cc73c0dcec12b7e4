namespace Sidecar.Bookinfo.Hosting;

/// <summary>Hosting log messages (event ids 1-9; outbound calls use 10-19).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "bookinfo {Workload} ({Role}) listening on {Address}, outbound {Outbound}")]
    public static partial void Listening(ILogger logger, string workload, WorkloadRole role, string address, string outbound);
}
