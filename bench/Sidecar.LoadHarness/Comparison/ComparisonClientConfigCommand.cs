using System.CommandLine;
using System.Globalization;
using System.Net;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// <c>loadgen compare-client-config</c>: writes the comparison's client sidecar config (the echo service among the
/// other services, with its routes) to a directory, so a script that measures that sidecar on its own
/// (bench/instruction-count.sh) runs the same config instead of keeping a copy.
/// </summary>
internal static class ComparisonClientConfigCommand
{
    public static Command Create()
    {
        var directory = new Option<string>("--dir") { Description = "The config directory to write.", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "The echo backend, ADDRESS:PORT.", Required = true };
        var otherServices = new Option<int>("--other-services") { Description = "Services besides echo.", DefaultValueFactory = _ => ComparisonMesh.OtherServices };
        var perTryTimeout = new Option<string>("--per-try-timeout") { Description = "The default route's retries.perTryTimeout.", DefaultValueFactory = _ => "2s" };
        var timeout = new Option<string>("--timeout") { Description = "The default route's timeout.", DefaultValueFactory = _ => "10s" };
        var command = new Command("compare-client-config", "Write the comparison's client sidecar config (Istio YAML) to a directory.")
        {
            directory, endpoint, otherServices, perTryTimeout, timeout,
        };
        command.SetAction(parse =>
        {
            var backend = IPEndPoint.Parse(parse.GetValue(endpoint)!);
            ComparisonMesh.WriteClient(
                parse.GetValue(directory)!, backend.Address.ToString(), backend.Port, parse.GetValue(otherServices),
                parse.GetValue(perTryTimeout)!, parse.GetValue(timeout)!);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {parse.GetValue(directory)}: echo at {backend}, {parse.GetValue(otherServices)} other services"));
        });
        return command;
    }
}
