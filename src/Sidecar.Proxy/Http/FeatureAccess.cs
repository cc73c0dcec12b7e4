using Microsoft.AspNetCore.Http.Features;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Feature lookups on the request path through <see cref="IFeatureCollection"/>'s indexer. <c>Get&lt;T&gt;</c> and
/// <c>Set&lt;T&gt;</c> are generic interface methods, which NativeAOT resolves through a lookup table on every call
/// (about 150 instructions each); the indexer is an ordinary interface call into Kestrel's switch on the type.
/// </summary>
internal static class FeatureAccess
{
    public static T? Fetch<T>(this IFeatureCollection features)
        where T : class => features[typeof(T)] as T;

    public static void Store<T>(this IFeatureCollection features, T? feature)
        where T : class => features[typeof(T)] = feature;
}
