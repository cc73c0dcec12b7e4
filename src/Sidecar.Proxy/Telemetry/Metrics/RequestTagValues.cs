namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// One request's values of the Telemetry API tag expressions that depend on the request (request.host, a header,
/// ...): part of the series key, compared by content. Only made when such overrides exist.
/// </summary>
internal sealed class RequestTagValues(string[] values) : IEquatable<RequestTagValues>
{
    private readonly int _hash = Hash(values);

    public string this[int index] => values[index];

    public bool Equals(RequestTagValues? other) =>
        other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && values.AsSpan().SequenceEqual(other.Values)));

    public override bool Equals(object? obj) => Equals(obj as RequestTagValues);

    public override int GetHashCode() => _hash;

    private ReadOnlySpan<string> Values => values;

    private static int Hash(string[] values)
    {
        var hash = new HashCode();
        foreach (var value in values)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}
