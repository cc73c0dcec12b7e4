using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Validation;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>The request and response mutations of an Istio <c>Headers</c> block, and the authority it sets.</summary>
internal sealed record HeaderOperationsResult(HeaderMutationConfig Request, HeaderMutationConfig Response, string? Authority)
{
    public static readonly HeaderOperationsResult None = new(HeaderMutationConfig.None, HeaderMutationConfig.None, null);
}

/// <summary>Istio's <c>TranslateHeadersOperations</c>: <c>set</c> overwrites, <c>add</c> appends (each sorted by name);
/// <c>:authority</c>/<c>host</c> become an authority rewrite, never a header.</summary>
internal static class HeaderOperationsTranslator
{
    public static HeaderOperationsResult Translate(Headers? headers)
    {
        if (headers is null)
        {
            return HeaderOperationsResult.None;
        }

        var request = headers.Request;
        var response = headers.Response;
        var (requestSet, setAuthority) = Values(request?.Set);
        var (requestAdd, addAuthority) = Values(request?.Add);
        var (responseSet, _) = Values(response?.Set);
        var (responseAdd, _) = Values(response?.Add);
        return new HeaderOperationsResult(
            Mutation(requestSet, requestAdd, request?.Remove),
            Mutation(responseSet, responseAdd, response?.Remove),
            setAuthority ?? addAuthority);
    }

    /// <summary>Appends <paramref name="more"/> after <paramref name="first"/>, as Istio appends a single destination's operations to the route's.</summary>
    public static HeaderMutationConfig Concat(HeaderMutationConfig first, HeaderMutationConfig more) =>
        more.IsEmpty ? first : first.IsEmpty ? more : new HeaderMutationConfig
        {
            Set = first.Set.Concat(more.Set).ToEquatableArray(),
            Add = first.Add.Concat(more.Add).ToEquatableArray(),
            Remove = first.Remove.Concat(more.Remove).ToEquatableArray(),
        };

    private static HeaderMutationConfig Mutation(List<HeaderValueConfig> set, List<HeaderValueConfig> add, IReadOnlyList<string>? remove)
    {
        var removed = (remove ?? []).Where(name => !CommonRules.IsInternalHeader(name)).ToArray();
        return set.Count == 0 && add.Count == 0 && removed.Length == 0
            ? HeaderMutationConfig.None
            : new HeaderMutationConfig { Set = set.ToEquatableArray(), Add = add.ToEquatableArray(), Remove = removed.ToEquatableArray() };
    }

    private static (List<HeaderValueConfig> Values, string? Authority) Values(IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        var values = new List<HeaderValueConfig>();
        string? authority = null;
        foreach (var (name, value) in headers ?? [])
        {
            if (CommonRules.IsAuthorityHeader(name))
            {
                authority = value;
            }

            if (!CommonRules.IsInternalHeader(name))
            {
                values.Add(new HeaderValueConfig(name, value));
            }
        }

        values.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return (values, authority);
    }
}
