using System.CommandLine;

namespace Sidecar.CommandLine;

/// <summary>
/// <c>sidecar wait</c>: pilot-agent's <c>wait</c>, the postStart hook Istio's injector adds for
/// <c>holdApplicationUntilProxyStarts</c>: polls the readiness URL until it answers 200, so the app container starts only
/// once the proxy serves. Exits 0 when ready, 1 on timeout.
/// </summary>
internal static class WaitCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The readiness URL to poll.", DefaultValueFactory = _ => "http://localhost:15021/healthz/ready" };
        var timeoutSeconds = new Option<int>("--timeoutSeconds") { Description = "Give up after this many seconds.", DefaultValueFactory = _ => 60 };
        var requestTimeoutMillis = new Option<int>("--requestTimeoutMillis") { Description = "Timeout of each poll, in milliseconds.", DefaultValueFactory = _ => 500 };
        var periodMillis = new Option<int>("--periodMillis") { Description = "Time between polls, in milliseconds.", DefaultValueFactory = _ => 500 };
        var command = new Command("wait", "Wait until the sidecar is ready (pilot-agent's wait, for holdApplicationUntilProxyStarts).")
        {
            url, timeoutSeconds, requestTimeoutMillis, periodMillis,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var target = parse.GetRequiredValue(url);
            var deadline = TimeSpan.FromSeconds(parse.GetValue(timeoutSeconds));
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(parse.GetValue(requestTimeoutMillis)) };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await output.WriteLineAsync($"Waiting for the sidecar to become ready ({target}, {deadline.TotalSeconds:0} s)").ConfigureAwait(false);
            while (clock.Elapsed < deadline)
            {
                try
                {
                    using var response = await client.GetAsync(target, cancellationToken).ConfigureAwait(false);
                    if ((int)response.StatusCode == 200)
                    {
                        await output.WriteLineAsync($"Sidecar is ready after {clock.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);
                        return 0;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Not up yet: poll again.
                }

                await Task.Delay(parse.GetValue(periodMillis), cancellationToken).ConfigureAwait(false);
            }

            await parse.InvocationConfiguration.Error.WriteLineAsync("timeout waiting for the sidecar to become ready").ConfigureAwait(false);
            return 1;
        });
        return command;
    }
}
