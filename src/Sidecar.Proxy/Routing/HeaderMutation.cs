using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// A compiled <see cref="HeaderMutationConfig"/>: arrays of names and values, applied remove, then set, then add
/// (Envoy's order: removals first, then headers_to_add with their append action).
/// </summary>
internal sealed class HeaderMutation
{
    public static readonly HeaderMutation None = new(HeaderMutationConfig.None);

    private readonly string[] _remove;
    private readonly (string Name, string Value)[] _set;
    private readonly (string Name, string Value)[] _add;

    public HeaderMutation(HeaderMutationConfig config)
    {
        _remove = config.Remove.ToArray();
        _set = config.Set.Select(h => (h.Name, HeaderValueEncoding.FromText(h.Value))).ToArray();
        _add = config.Add.Select(h => (h.Name, HeaderValueEncoding.FromText(h.Value))).ToArray();
        IsEmpty = config.IsEmpty;
    }

    public bool IsEmpty { get; }

    /// <summary>Applies to an outgoing request (Host is handled as the authority, as Envoy treats <c>:authority</c>).</summary>
    public void Apply(HttpRequestMessage request)
    {
        if (IsEmpty)
        {
            return;
        }

        foreach (var name in _remove)
        {
            Remove(request, name);
        }

        foreach (var (name, value) in _set)
        {
            Remove(request, name);
            Add(request, name, value);
        }

        foreach (var (name, value) in _add)
        {
            Add(request, name, value);
        }
    }

    /// <summary>Applies to the response about to be sent downstream.</summary>
    public void Apply(IHeaderDictionary headers)
    {
        if (IsEmpty)
        {
            return;
        }

        foreach (var name in _remove)
        {
            headers.Remove(name);
        }

        foreach (var (name, value) in _set)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in _add)
        {
            headers[name] = StringValues.Concat(headers[name], value);
        }
    }

    private static void Remove(HttpRequestMessage request, string name)
    {
        if (!request.Headers.Remove(name))
        {
            request.Content?.Headers.Remove(name);
        }
    }

    private static void Add(HttpRequestMessage request, string name, string value)
    {
        if (string.Equals(name, "host", StringComparison.OrdinalIgnoreCase) || name == ":authority")
        {
            request.Headers.Host = value;
            return;
        }

        if (!request.Headers.TryAddWithoutValidation(name, value) && request.Content is { } content)
        {
            content.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
