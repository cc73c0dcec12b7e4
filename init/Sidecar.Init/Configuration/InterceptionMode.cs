namespace Sidecar.Init.Configuration;

/// <summary>How inbound connections reach the proxy (-m): NAT REDIRECT, or TPROXY which keeps the original addresses.</summary>
internal enum InterceptionMode
{
    Redirect,
    Tproxy,
}
