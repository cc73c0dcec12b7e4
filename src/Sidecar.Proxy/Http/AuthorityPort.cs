namespace Sidecar.Proxy.Http;

/// <summary>Where an authority's port starts: <c>reviews:9080</c> and <c>[fd00::1]:9080</c> have one, <c>[fd00::1]</c> has none.</summary>
internal static class AuthorityPort
{
    /// <summary>The index of the ':' before the port, or -1 when the authority names no port.</summary>
    public static int SeparatorOf(ReadOnlySpan<char> authority)
    {
        var colon = authority.LastIndexOf(':');
        return colon > 0 && authority.IndexOf(']') < colon ? colon : -1;
    }
}
