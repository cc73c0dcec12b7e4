using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// pilot-agent's application probes on the status port (<c>/app-health/&lt;container&gt;/livez|readyz|startupz</c>,
/// <c>/app-lifecycle/...</c>): Istio's injector rewrites each app container's httpGet, tcpSocket and grpc probes to
/// these paths and passes the originals in <c>ISTIO_KUBE_APP_PROBERS</c>, so the kubelet's probes reach the app even
/// under STRICT mTLS. The probe goes to the pod IP (Istio's default destination since 1.10), from 127.0.0.6, which
/// the capture rules let through; an httpGet answers with the app's status (a redirect as 200) and up to 10 kB of its
/// body, a tcpSocket or grpc probe 200 or 500.
/// </summary>
internal sealed class ApplicationProbes
{
    /// <summary>The source address of the probe connections (Istio's upstream local address).</summary>
    private static readonly IPAddress ProbeSource = IPAddress.Parse("127.0.0.6");
    private const int MaxBodyLength = 10 * 1024;

    private readonly Dictionary<string, Prober> _probers;
    private readonly string _destination;
    private readonly int _statusPort;
    private readonly HttpClient _http;
    private readonly SocketsHttpHandler _grpcHandler;

    public ApplicationProbes(ProxyOptions options)
    {
        _probers = Parse(options.AppProbers);
        var instanceIps = options.Workload.InstanceIps;
        _destination = instanceIps.IsEmpty ? IPAddress.Loopback.ToString() : instanceIps[0];
        _statusPort = options.StatusPort;
        _http = new HttpClient(Handler(allowInvalidCertificates: true)) { Timeout = Timeout.InfiniteTimeSpan };
        _grpcHandler = Handler(allowInvalidCertificates: false);
    }

    /// <summary>The probe paths configured (tests and the admin help).</summary>
    public IReadOnlyCollection<string> Paths => _probers.Keys;

    public static bool IsProbePath(string path) =>
        path.StartsWith("/app-health/", StringComparison.Ordinal) || path.StartsWith("/app-lifecycle/", StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (!_probers.TryGetValue(path, out var prober))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"app prober config does not exists for {path}").ConfigureAwait(false);
            return;
        }

        using var timeout = new CancellationTokenSource(prober.Timeout);
        int status;
        try
        {
            status = prober.Kind switch
            {
                ProbeKind.HttpGet => await HttpGetAsync(context, prober, timeout.Token).ConfigureAwait(false),
                ProbeKind.TcpSocket => await TcpSocketAsync(prober, timeout.Token).ConfigureAwait(false),
                _ => await GrpcAsync(prober, timeout.Token).ConfigureAwait(false),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or OperationCanceledException or IOException or Grpc.Core.RpcException)
        {
            status = StatusCodes.Status500InternalServerError;
        }

        if (!context.Response.HasStarted)
        {
            context.Response.StatusCode = status;
        }
    }

    private async Task<int> HttpGetAsync(HttpContext context, Prober prober, CancellationToken cancellationToken)
    {
        var scheme = string.Equals(prober.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{scheme}://{Authority(_destination, prober.Port)}{prober.Path}");

        // The kubelet's headers go on (the probe's httpHeaders among them); a Host naming the status port names the app's.
        foreach (var (name, values) in context.Request.Headers)
        {
            if (!Http.ProxyHeaders.IsHopByHopOrFraming(name))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        var host = context.Request.Host;
        request.Headers.Host = host.Port == _statusPort ? new HostString(host.Host, prober.Port).Value : host.Value;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status is >= 300 and < 400)
        {
            // A redirect without its Location would be invalid: Istio answers 200.
            return StatusCodes.Status200OK;
        }

        context.Response.StatusCode = status;
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxBodyLength];
        var length = await body.ReadAtLeastAsync(buffer, MaxBodyLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        await context.Response.Body.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        return status;
    }

    private async Task<int> TcpSocketAsync(Prober prober, CancellationToken cancellationToken)
    {
        using var socket = await ConnectAsync(new DnsEndPoint(_destination, prober.Port), cancellationToken).ConfigureAwait(false);
        return StatusCodes.Status200OK;
    }

    private async Task<int> GrpcAsync(Prober prober, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress($"http://{Authority(_destination, prober.Port)}", new GrpcChannelOptions { HttpHandler = _grpcHandler, DisposeHttpClient = false });
        var client = new Health.HealthClient(channel);
        var reply = await client.CheckAsync(new HealthCheckRequest { Service = prober.Service ?? "" }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError;
    }

    private static string Authority(string host, int port) =>
        IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]:{port}" : $"{host}:{port}";

    private static SocketsHttpHandler Handler(bool allowInvalidCertificates) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        // Like the kubelet, an https probe does not verify the app's certificate.
        SslOptions = allowInvalidCertificates ? new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true } : new(),
        ConnectCallback = (context, cancellationToken) => ConnectStreamAsync(context.DnsEndPoint, cancellationToken),
    };

    private static async ValueTask<Stream> ConnectStreamAsync(DnsEndPoint endpoint, CancellationToken cancellationToken) =>
        new NetworkStream(await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false), ownsSocket: true);

    /// <summary>Connects from 127.0.0.6 to a pod address (the capture rules return it to the app); from the default source to loopback.</summary>
    private static async Task<Socket> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(endpoint.Host);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
            {
                Upstream.SourceAddress.Bind(socket, ProbeSource);
            }

            await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads <c>ISTIO_KUBE_APP_PROBERS</c>: a JSON object of probe path to Kubernetes probe (httpGet, tcpSocket or grpc, timeoutSeconds).</summary>
    internal static Dictionary<string, Prober> Parse(string? json)
    {
        var probers = new Dictionary<string, Prober>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json))
        {
            return probers;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                var path = entry.Name.StartsWith('/') ? entry.Name : "/" + entry.Name;
                probers[path] = Prober.From(entry.Value);
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidOperationException($"ISTIO_KUBE_APP_PROBERS: {ex.Message}", ex);
        }

        return probers;
    }

    internal enum ProbeKind
    {
        HttpGet,
        TcpSocket,
        Grpc,
    }

    /// <summary>One Kubernetes probe as the injector passes it.</summary>
    internal sealed record Prober(ProbeKind Kind, int Port, string Path, string? Scheme, string? Service, TimeSpan Timeout)
    {
        public static Prober From(JsonElement probe)
        {
            // The kubelet's default timeoutSeconds is 1.
            var timeout = TimeSpan.FromSeconds(probe.TryGetProperty("timeoutSeconds", out var seconds) && seconds.ValueKind == JsonValueKind.Number && seconds.GetInt32() > 0 ? seconds.GetInt32() : 1);
            if (probe.TryGetProperty("httpGet", out var http))
            {
                var path = http.TryGetProperty("path", out var p) ? p.GetString() ?? "/" : "/";
                return new Prober(ProbeKind.HttpGet, PortOf(http), path.StartsWith('/') ? path : "/" + path, http.TryGetProperty("scheme", out var s) ? s.GetString() : null, null, timeout);
            }

            if (probe.TryGetProperty("tcpSocket", out var tcp))
            {
                return new Prober(ProbeKind.TcpSocket, PortOf(tcp), "", null, null, timeout);
            }

            if (probe.TryGetProperty("grpc", out var grpc))
            {
                return new Prober(ProbeKind.Grpc, PortOf(grpc), "", null, grpc.TryGetProperty("service", out var service) ? service.GetString() : null, timeout);
            }

            throw new InvalidOperationException("a probe needs httpGet, tcpSocket or grpc");
        }

        /// <summary>A Kubernetes IntOrString port; the injector writes named ports resolved to numbers.</summary>
        private static int PortOf(JsonElement action)
        {
            if (!action.TryGetProperty("port", out var port))
            {
                throw new InvalidOperationException("a probe needs a port");
            }

            return port.ValueKind == JsonValueKind.Number ? port.GetInt32() : int.Parse(port.GetString() ?? "", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
