using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Sidecar.Model;

/// <summary>
/// Kubernetes-style labels (workload and endpoint labels, subset selectors): an immutable, ordinal-sorted set of
/// key/value pairs with value equality.
/// </summary>
public sealed class Labels : IEquatable<Labels>, IReadOnlyCollection<KeyValuePair<string, string>>
{
    private readonly KeyValuePair<string, string>[] _pairs;

    public static readonly Labels Empty = new([]);

    private Labels(KeyValuePair<string, string>[] sortedPairs) => _pairs = sortedPairs;

    public static Labels From(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            map[key] = value;
        }

        return map.Count == 0 ? Empty : new Labels(map.ToArray());
    }

    public static Labels From(params (string Key, string Value)[] pairs) =>
        From(pairs.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));

    /// <summary>Parses <c>k1=v1,k2=v2</c>, as the command line and Istio's env vars carry labels.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Labels? labels, [NotNullWhen(false)] out string? error)
    {
        labels = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            labels = Empty;
            return true;
        }

        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                error = $"label '{part}' is not of the form key=value";
                return false;
            }

            pairs.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }

        labels = From(pairs);
        return true;
    }

    public int Count => _pairs.Length;

    public string? this[string key] => TryGetValue(key, out var value) ? value : null;

    public bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
    {
        var lo = 0;
        var hi = _pairs.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            var cmp = string.CompareOrdinal(_pairs[mid].Key, key);
            if (cmp == 0)
            {
                value = _pairs[mid].Value;
                return true;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        value = null;
        return false;
    }

    /// <summary>True when every label of <paramref name="selector"/> is present here with the same value.</summary>
    public bool IsSupersetOf(Labels selector)
    {
        foreach (var (key, value) in selector._pairs)
        {
            if (!TryGetValue(key, out var mine) || !string.Equals(mine, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>These labels overlaid with <paramref name="overrides"/>.</summary>
    public Labels With(Labels overrides) => overrides.Count == 0 ? this : Count == 0 ? overrides : From(_pairs.Concat(overrides._pairs));

    public bool Equals(Labels? other) =>
        other is not null && (ReferenceEquals(this, other) || _pairs.AsSpan().SequenceEqual(other._pairs));

    public override bool Equals(object? obj) => Equals(obj as Labels);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var pair in _pairs)
        {
            hash.Add(pair.Key);
            hash.Add(pair.Value);
        }

        return hash.ToHashCode();
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_pairs).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join(",", _pairs.Select(p => $"{p.Key}={p.Value}"));
}
