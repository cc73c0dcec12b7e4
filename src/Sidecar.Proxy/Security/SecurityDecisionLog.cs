using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Sidecar.Proxy.Security;

/// <summary>
/// The inbound filters' decisions at debug level, in the words of Envoy's RBAC and jwt_authn filters, under the
/// categories the admin API's <c>rbac</c> and <c>jwt</c> loggers switch (<c>istioctl proxy-config log POD --level rbac:debug</c>).
/// </summary>
internal sealed partial class SecurityDecisionLog(ILoggerFactory loggers)
{
    private readonly ILogger _rbac = loggers.CreateLogger("Sidecar.Proxy.Security.Authorization");
    private readonly ILogger _jwt = loggers.CreateLogger("Sidecar.Proxy.Security.Jwt");

    /// <summary>An AuthorizationPolicy decision: <paramref name="deniedBy"/> null when allowed.</summary>
    public void Authorization(HttpContext context, Listeners.ProxyConnection connection, string? deniedBy)
    {
        if (!_rbac.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var request = context.Request;
        var peer = connection.PeerPrincipal ?? context.Connection.RemoteIpAddress?.ToString() ?? "-";
        if (deniedBy is null)
        {
            EnforcedAllowed(_rbac, request.Method, request.Path.Value, peer);
        }
        else
        {
            EnforcedDenied(_rbac, request.Method, request.Path.Value, peer, deniedBy);
        }
    }

    /// <summary>A token's verification: <paramref name="failure"/> null when it verified.</summary>
    public void Jwt(string? failure) => JwtCompleted(_jwt, failure ?? "OK");

    [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "checking request {Method} {Path} from {Peer}: enforced allowed")]
    private static partial void EnforcedAllowed(ILogger logger, string method, string? path, string peer);

    [LoggerMessage(EventId = 601, Level = LogLevel.Debug, Message = "checking request {Method} {Path} from {Peer}: enforced denied, matched policy {Policy}")]
    private static partial void EnforcedDenied(ILogger logger, string method, string? path, string peer, string policy);

    [LoggerMessage(EventId = 602, Level = LogLevel.Debug, Message = "JWT token verification completed with: {Status}")]
    private static partial void JwtCompleted(ILogger logger, string status);
}
