using System.CommandLine;

namespace Sidecar.CommandLine;

/// <summary>
/// <c>sidecar request METHOD PATH [BODY]</c>: pilot-agent's <c>request</c>, the way Istio's docs and istioctl read the
/// admin API from inside the container (<c>request GET stats</c>, <c>request GET clusters?format=json</c>,
/// <c>request POST quitquitquit</c>): prints the admin port's answer, exits 1 on an error status.
/// </summary>
internal static class RequestCommand
{
    public static Command Create()
    {
        var method = new Argument<string>("method") { Description = "GET or POST." };
        var path = new Argument<string>("path") { Description = "The admin path, with or without its leading slash (stats, clusters?format=json)." };
        var body = new Argument<string?>("body") { Description = "A request body.", Arity = ArgumentArity.ZeroOrOne };
        var port = new Option<int>("--debug-port") { Description = "The admin port.", DefaultValueFactory = _ => 15000 };
        var address = new Option<string>("--admin-address") { Description = "The admin API's address (a sidecar run with --bind IP listens there).", DefaultValueFactory = _ => "localhost" };
        var command = new Command("request", "Send a request to the sidecar's admin API and print the answer (pilot-agent's request).")
        {
            method, path, body, port, address,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = parse.GetRequiredValue(path);
            var url = $"http://{parse.GetRequiredValue(address)}:{parse.GetValue(port)}/{target.TrimStart('/')}";
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
            using var request = new HttpRequestMessage(new HttpMethod(parse.GetRequiredValue(method).ToUpperInvariant()), url);
            if (parse.GetValue(body) is { } content)
            {
                request.Content = new StringContent(content);
            }

            try
            {
                using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                await parse.InvocationConfiguration.Output.WriteAsync(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (HttpRequestException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"request to {url} failed: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
