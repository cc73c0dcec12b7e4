using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// A compiled <see cref="HeaderMutationConfig"/>: arrays of names and values, applied remove, then set, then add
/// (Envoy's order: removals first, then headers_to_add with their append action). A value naming Envoy's operators
/// is formatted per request (<see cref="HeaderValueFormat"/>), and not added when it comes out empty.
/// </summary>
internal sealed class HeaderMutation
{
    public static readonly HeaderMutation None = new(HeaderMutationConfig.None);

    private readonly string[] _remove;
    private readonly HeaderToAdd[] _set;
    private readonly HeaderToAdd[] _add;

    public HeaderMutation(HeaderMutationConfig config)
    {
        _remove = config.Remove.ToArray();
        _set = config.Set.Select(HeaderToAdd.From).ToArray();
        _add = config.Add.Select(HeaderToAdd.From).ToArray();
        IsEmpty = config.IsEmpty;
    }

    public bool IsEmpty { get; }

    /// <summary>Applies to an outgoing request (Host is handled as the authority, as Envoy treats <c>:authority</c>).</summary>
    public void Apply(HttpRequestMessage request, HttpContext context, RequestState? state)
    {
        if (IsEmpty)
        {
            return;
        }

        foreach (var name in _remove)
        {
            Remove(request, name);
        }

        foreach (var header in _set)
        {
            if (header.ValueFor(context, state, response: false) is { } value)
            {
                Remove(request, header.Name);
                Add(request, header.Name, value);
            }
        }

        foreach (var header in _add)
        {
            if (header.ValueFor(context, state, response: false) is { } value)
            {
                Add(request, header.Name, value);
            }
        }
    }

    /// <summary>Applies to the response about to be sent downstream.</summary>
    public void Apply(IHeaderDictionary headers, HttpContext context, RequestState? state)
    {
        if (IsEmpty)
        {
            return;
        }

        foreach (var name in _remove)
        {
            headers.Remove(name);
        }

        foreach (var header in _set)
        {
            if (header.ValueFor(context, state, response: true) is { } value)
            {
                headers[header.Name] = value;
            }
        }

        foreach (var header in _add)
        {
            if (header.ValueFor(context, state, response: true) is { } value)
            {
                headers[header.Name] = StringValues.Concat(headers[header.Name], value);
            }
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

    /// <summary>A header to set or add: its value as text, or its format. Config text is sent as its UTF-8 bytes.</summary>
    private readonly record struct HeaderToAdd(string Name, string Value, HeaderValueFormat? Format)
    {
        public static HeaderToAdd From(HeaderValueConfig config)
        {
            var format = HeaderValueFormat.Parse(config.Value, out var text);
            return new HeaderToAdd(config.Name, HeaderValueEncoding.FromText(text), format);
        }

        /// <summary>The value to write, or null when a formatted one comes out empty (Envoy then adds nothing).</summary>
        public string? ValueFor(HttpContext context, RequestState? state, bool response) =>
            Format is null ? Value : Format.Format(context, state, response) is { Length: > 0 } formatted ? formatted : null;
    }
}
