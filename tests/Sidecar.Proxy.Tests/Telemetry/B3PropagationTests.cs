using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Telemetry.Tracing;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>B3 as openzipkin/b3-propagation specifies it: multi-header and single-header forms.</summary>
public sealed class B3PropagationTests
{
    private const string TraceId = "463ac35c9f6413ad48485a3953bb6124";
    private const string SpanId = "a2fb4a1d1a96d312";

    [Fact]
    public void Multi_headers_give_the_callers_context_and_sampling_decision()
    {
        var headers = new HeaderDictionary { ["x-b3-traceid"] = TraceId, ["x-b3-spanid"] = SpanId, ["x-b3-sampled"] = "1" };

        Assert.True(B3Propagation.TryExtract(headers, out var context, out var sampled, out var single));
        Assert.Equal(TraceId, context.TraceId.ToHexString());
        Assert.Equal(SpanId, context.SpanId.ToHexString());
        Assert.True(context.IsRemote);
        Assert.True(sampled);
        Assert.False(single);
    }

    [Fact]
    public void A_64_bit_trace_id_is_left_padded_to_128_bits()
    {
        var headers = new HeaderDictionary { ["x-b3-traceid"] = "48485a3953bb6124", ["x-b3-spanid"] = SpanId };

        Assert.True(B3Propagation.TryExtract(headers, out var context, out var sampled, out _));
        Assert.Equal("000000000000000048485a3953bb6124", context.TraceId.ToHexString());
        Assert.Null(sampled);
    }

    [Theory]
    [InlineData("463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-1-0020000000000001", true)]
    [InlineData("463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-d", true)]
    [InlineData("463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-0", false)]
    [InlineData("463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312", null)]
    public void Single_header_gives_the_context_and_its_sampling_state(string b3, bool? expectedSampled)
    {
        var headers = new HeaderDictionary { ["b3"] = b3 };

        Assert.True(B3Propagation.TryExtract(headers, out var context, out var sampled, out var single));
        Assert.True(single);
        Assert.Equal(TraceId, context.TraceId.ToHexString());
        Assert.Equal(SpanId, context.SpanId.ToHexString());
        Assert.Equal(expectedSampled, sampled);
        Assert.Equal(expectedSampled == true ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, context.TraceFlags);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public void A_lone_sampling_decision_carries_no_context(string b3)
    {
        Assert.False(B3Propagation.TryParseSingle(b3, out _, out var sampled));
        Assert.Equal(b3 == "1", sampled);
    }

    [Theory]
    [InlineData("not-hex")]
    [InlineData("463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d3")]
    [InlineData("463AC35C9F6413AD48485A3953BB6124-A2FB4A1D1A96D312-1")]
    public void Malformed_single_headers_are_ignored(string b3) =>
        Assert.False(B3Propagation.TryExtract(new HeaderDictionary { ["b3"] = b3 }, out _, out _, out _));

    [Fact]
    public void Injection_writes_both_forms_with_the_parent()
    {
        var written = new Dictionary<string, string>();
        B3Propagation.InjectMulti(written, static (target, name, value) => target[name] = value, TraceId, SpanId, "0020000000000001");

        Assert.Equal(TraceId, written["x-b3-traceid"]);
        Assert.Equal(SpanId, written["x-b3-spanid"]);
        Assert.Equal("0020000000000001", written["x-b3-parentspanid"]);
        Assert.Equal("1", written["x-b3-sampled"]);
        Assert.Equal($"{TraceId}-{SpanId}-1-0020000000000001", B3Propagation.FormatSingle(TraceId, SpanId, "0020000000000001"));
        Assert.Equal($"{TraceId}-{SpanId}-1", B3Propagation.FormatSingle(TraceId, SpanId, null));
    }
}
