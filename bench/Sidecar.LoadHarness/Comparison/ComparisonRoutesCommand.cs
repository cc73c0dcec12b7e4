using System.CommandLine;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// <c>loadgen compare-routes</c>: prints the comparison's echo DestinationRule and VirtualService, so a script that
/// drives the same routing (bench/hot-path-order.sh) takes it from here instead of keeping a copy.
/// </summary>
internal static class ComparisonRoutesCommand
{
    public static Command Create()
    {
        var perTryTimeout = new Option<string>("--per-try-timeout") { Description = "The default route's retries.perTryTimeout.", DefaultValueFactory = _ => "2s" };
        var timeout = new Option<string>("--timeout") { Description = "The default route's timeout.", DefaultValueFactory = _ => "10s" };
        var command = new Command("compare-routes", "Print the comparison's echo DestinationRule and VirtualService (Istio YAML).") { perTryTimeout, timeout };
        command.SetAction(parse =>
        {
            Console.Out.Write(ComparisonMesh.EchoRoutes(parse.GetValue(perTryTimeout)!, parse.GetValue(timeout)!));
            Console.Out.WriteLine();
        });
        return command;
    }
}
