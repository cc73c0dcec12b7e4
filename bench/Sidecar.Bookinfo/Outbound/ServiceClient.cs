using System.Net;
using Sidecar.Bookinfo.Hosting;

namespace Sidecar.Bookinfo.Outbound;

/// <summary>
/// Calls the other bookinfo services over one shared connection pool. With an upstream (the sidecar's outbound
/// listener) every call connects there and names the service in the Host header, so a standalone sidecar routes it
/// by Host; without one it connects to the service name itself, as an app in a captured pod does.
/// </summary>
internal sealed partial class ServiceClient : IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly Uri? _upstream;
    private readonly ILogger<ServiceClient> _logger;

    public ServiceClient(Uri? upstream, ILogger<ServiceClient> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _upstream = upstream;
        _logger = logger;
        _invoker = new HttpMessageInvoker(
            new SocketsHttpHandler
            {
                UseProxy = false,
                UseCookies = false, // cookies are propagated verbatim from the inbound request
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            },
            disposeHandler: true);
    }

    /// <summary>
    /// GETs <paramref name="pathAndQuery"/> from <paramref name="service"/> with the inbound request's propagated
    /// headers; a failure or timeout comes back as <see cref="ServiceResponse.NoResponse"/>, not as an exception.
    /// </summary>
    public async Task<ServiceResponse> GetAsync(
        BookinfoService service,
        string pathAndQuery,
        HttpRequest inbound,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(inbound);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_upstream ?? service.DirectUri, pathAndQuery));
        if (_upstream is not null)
        {
            request.Headers.Host = service.Authority;
        }

        request.Headers.TryAddWithoutValidation("accept", "application/json");
        PropagatedHeaders.Copy(inbound, request);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await _invoker.SendAsync(request, deadline.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            var workload = response.Headers.TryGetValues(WorkloadHeader.Name, out var values) ? values.FirstOrDefault() : null;
            return new ServiceResponse((int)response.StatusCode, body, workload);
        }
        catch (HttpRequestException ex)
        {
            LogCallFailed(service.Authority, pathAndQuery, ex.Message);
            return ServiceResponse.NoResponse;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogCallTimedOut(service.Authority, pathAndQuery, timeout.TotalMilliseconds);
            return ServiceResponse.NoResponse;
        }
    }

    public void Dispose() => _invoker.Dispose();

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Call to {Service}{Path} failed: {Reason}")]
    private partial void LogCallFailed(string service, string path, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Call to {Service}{Path} timed out after {TimeoutMs} ms")]
    private partial void LogCallTimedOut(string service, string path, double timeoutMs);
}
