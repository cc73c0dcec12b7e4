namespace Sidecar.Bookinfo.Outbound;

/// <summary>
/// The request headers bookinfo copies from an inbound request to the calls it makes, so that the mesh can stitch one
/// trace and apply user-based routing (the header list of Istio's reviews LibertyRestEndpoint headers_to_propagate,
/// plus b3 single-header and every x-datadog-* header).
/// </summary>
internal static class PropagatedHeaders
{
    /// <summary>The cookie productpage's login sets; its value becomes <c>end-user</c> when none was sent.</summary>
    public const string UserCookie = "user";

    private const string EndUser = "end-user";

    private const string DatadogPrefix = "x-datadog-";

    private static readonly string[] Names =
    [
        "x-request-id",
        "traceparent",
        "tracestate",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-parentspanid",
        "x-b3-sampled",
        "x-b3-flags",
        "b3",
        "x-ot-span-context",
        "x-cloud-trace-context",
        "grpc-trace-bin",
        "sw8",
        EndUser,
        "user-agent",
        "cookie",
        "authorization",
        "jwt",
    ];

    /// <summary>Copies the propagated headers present on <paramref name="inbound"/> onto <paramref name="outbound"/>.</summary>
    public static void Copy(HttpRequest inbound, HttpRequestMessage outbound)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(outbound);
        var headers = inbound.Headers;
        foreach (var name in Names)
        {
            if (headers.TryGetValue(name, out var values))
            {
                outbound.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        foreach (var header in headers)
        {
            if (header.Key.StartsWith(DatadogPrefix, StringComparison.OrdinalIgnoreCase))
            {
                outbound.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
            }
        }

        // productpage turns a logged-in user into end-user, which Istio's request-routing task matches on.
        if (!headers.ContainsKey(EndUser)
            && inbound.Cookies.TryGetValue(UserCookie, out var user)
            && !string.IsNullOrEmpty(user))
        {
            outbound.Headers.TryAddWithoutValidation(EndUser, user);
        }
    }
}
