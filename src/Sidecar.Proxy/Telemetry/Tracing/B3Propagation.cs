using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Telemetry.Tracing;

/// <summary>
/// Zipkin's B3 propagation, both forms: the multi-header one (<c>x-b3-traceid</c>, <c>x-b3-spanid</c>,
/// <c>x-b3-parentspanid</c>, <c>x-b3-sampled</c>, <c>x-b3-flags</c>) and the single <c>b3</c> header
/// (<c>{traceid}-{spanid}[-{sampled}[-{parentspanid}]]</c>). Written here by hand because the propagators package
/// (OpenTelemetry.Extensions.Propagators) is not among this project's dependencies; it is small and allocation-free
/// when the headers are absent.
/// </summary>
internal static class B3Propagation
{
    public const string TraceIdHeader = "x-b3-traceid";
    public const string SpanIdHeader = "x-b3-spanid";
    public const string ParentSpanIdHeader = "x-b3-parentspanid";
    public const string SampledHeader = "x-b3-sampled";
    public const string FlagsHeader = "x-b3-flags";
    public const string SingleHeader = "b3";

    /// <summary>Reads B3 from <paramref name="headers"/>: the single header first, then the multi-header form.</summary>
    public static bool TryExtract(IHeaderDictionary headers, out ActivityContext context, out bool? sampled, out bool single)
    {
        context = default;
        sampled = null;
        single = false;
        if (headers.TryGetValue(SingleHeader, out var b3) && b3.Count > 0)
        {
            single = true;
            return TryParseSingle(b3[0], out context, out sampled);
        }

        if (headers.TryGetValue(SampledHeader, out var sampledValue) && sampledValue.Count > 0)
        {
            sampled = ParseSampled(sampledValue[0]);
        }

        if (headers.TryGetValue(FlagsHeader, out var flags) && flags.Count > 0 && flags[0] == "1")
        {
            // Debug implies sampled.
            sampled = true;
        }

        if (!headers.TryGetValue(TraceIdHeader, out var traceId) || traceId.Count == 0
            || !headers.TryGetValue(SpanIdHeader, out var spanId) || spanId.Count == 0)
        {
            return false;
        }

        return TryCreate(traceId[0], spanId[0], sampled, out context);
    }

    /// <summary>Parses <c>{traceid}-{spanid}[-{sampled}[-{parentspanid}]]</c>, or a lone sampling decision (<c>0</c>, <c>1</c>, <c>d</c>).</summary>
    public static bool TryParseSingle(string? value, out ActivityContext context, out bool? sampled)
    {
        context = default;
        sampled = null;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var span = value.AsSpan();
        var dash = span.IndexOf('-');
        if (dash < 0)
        {
            sampled = ParseSampled(value);
            return false;
        }

        var traceId = span[..dash];
        var rest = span[(dash + 1)..];
        dash = rest.IndexOf('-');
        var spanId = dash < 0 ? rest : rest[..dash];
        if (dash >= 0)
        {
            var flags = rest[(dash + 1)..];
            var end = flags.IndexOf('-');
            sampled = ParseSampled(end < 0 ? flags : flags[..end]);
        }

        return TryCreate(traceId, spanId, sampled, out context);
    }

    /// <summary>Writes the multi-header form for <paramref name="span"/>, with <paramref name="parentSpanId"/> when it has a parent.</summary>
    public static void InjectMulti<TCarrier>(TCarrier carrier, Action<TCarrier, string, string> set, string traceId, string spanId, string? parentSpanId, bool sampled = true)
    {
        ArgumentNullException.ThrowIfNull(set);
        set(carrier, TraceIdHeader, traceId);
        set(carrier, SpanIdHeader, spanId);
        if (parentSpanId is not null)
        {
            set(carrier, ParentSpanIdHeader, parentSpanId);
        }

        set(carrier, SampledHeader, sampled ? "1" : "0");
    }

    /// <summary>The single-header form of a span and its sampling decision.</summary>
    public static string FormatSingle(string traceId, string spanId, string? parentSpanId, bool sampled = true) =>
        parentSpanId is null ? $"{traceId}-{spanId}-{(sampled ? '1' : '0')}" : $"{traceId}-{spanId}-{(sampled ? '1' : '0')}-{parentSpanId}";

    private static bool? ParseSampled(ReadOnlySpan<char> value) => value switch
    {
        "1" or "d" or "true" => true,
        "0" or "false" => false,
        _ => null,
    };

    private static bool TryCreate(ReadOnlySpan<char> traceId, ReadOnlySpan<char> spanId, bool? sampled, out ActivityContext context)
    {
        context = default;
        if (spanId.Length != 16 || (traceId.Length != 32 && traceId.Length != 16) || !IsHex(traceId) || !IsHex(spanId))
        {
            return false;
        }

        // A 64-bit B3 trace id is left-padded to W3C's 128 bits, as OpenTelemetry's B3 propagator does.
        Span<char> trace = stackalloc char[32];
        trace.Fill('0');
        traceId.CopyTo(trace[(32 - traceId.Length)..]);
        context = new ActivityContext(
            ActivityTraceId.CreateFromString(trace),
            ActivitySpanId.CreateFromString(spanId),
            sampled == true ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
            traceState: null,
            isRemote: true);
        return true;
    }

    private static bool IsHex(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
