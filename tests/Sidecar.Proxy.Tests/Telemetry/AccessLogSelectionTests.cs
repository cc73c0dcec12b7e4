using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>Telemetry <c>accessLogging[].match.mode</c> and <c>filter</c>: which requests the access log takes.</summary>
public sealed class AccessLogSelectionTests
{
    [Theory]
    [InlineData(WorkloadMode.ClientAndServer, true, true)]
    [InlineData(WorkloadMode.ClientAndServer, false, true)]
    [InlineData(WorkloadMode.Client, true, true)]
    [InlineData(WorkloadMode.Client, false, false)]
    [InlineData(WorkloadMode.Server, true, false)]
    [InlineData(WorkloadMode.Server, false, true)]
    public async Task The_mode_selects_the_side_CLIENT_outbound_SERVER_inbound(WorkloadMode mode, bool outbound, bool logged)
    {
        await using var settings = new TelemetrySettings(TelemetryOptions.Default, exporter: null);
        settings.Apply(new TelemetryConfig { AccessLogMode = mode });

        Assert.Equal(logged, settings.ShouldLog(new DefaultHttpContext(), Request(outbound ? RequestDirection.Outbound : RequestDirection.Inbound)));
    }

    [Fact]
    public async Task The_filter_applies_on_the_selected_side()
    {
        await using var settings = new TelemetrySettings(TelemetryOptions.Default, exporter: null);
        settings.Apply(new TelemetryConfig { AccessLogMode = WorkloadMode.Server, AccessLogFilter = AccessLogFilterExpression.Parse("response.code >= 400") });
        var failed = new DefaultHttpContext { Response = { StatusCode = 503 } };
        var succeeded = new DefaultHttpContext { Response = { StatusCode = 200 } };

        Assert.True(settings.ShouldLog(failed, Request(RequestDirection.Inbound)));
        Assert.False(settings.ShouldLog(succeeded, Request(RequestDirection.Inbound)));
        Assert.False(settings.ShouldLog(failed, Request(RequestDirection.Outbound)));
    }

    private static RequestState Request(RequestDirection direction)
    {
        var state = new RequestState();
        state.Begin(new DefaultHttpContext(), direction, TimeProvider.System);
        return state;
    }
}
