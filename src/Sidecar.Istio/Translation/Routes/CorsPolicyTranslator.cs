using System.Globalization;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>Istio's <c>TranslateCORSPolicy</c>: a VirtualService <c>corsPolicy</c> as Envoy's route CORS policy.</summary>
internal static class CorsPolicyTranslator
{
    public static CorsPolicyConfig? Translate(CorsPolicy? cors)
    {
        if (cors is null)
        {
            return null;
        }

        return new CorsPolicyConfig
        {
            // The reader folds the deprecated allowOrigin (exact strings) into allowOrigins, as istiod does when
            // allowOrigins is absent.
            AllowOrigins = cors.AllowOrigins.Select(RouteMatchTranslator.ToMatcher).OfType<StringMatcherConfig>().ToEquatableArray(),
            AllowMethods = string.Join(',', cors.AllowMethods),
            AllowHeaders = string.Join(',', cors.AllowHeaders),
            ExposeHeaders = string.Join(',', cors.ExposeHeaders),
            MaxAge = cors.MaxAge is { } maxAge ? (maxAge.Nanoseconds / 1_000_000_000).ToString(CultureInfo.InvariantCulture) : "",
            AllowCredentials = cors.AllowCredentials == true,
            ForwardNotMatchingPreflights = cors.UnmatchedPreflights != "IGNORE",
        };
    }
}
