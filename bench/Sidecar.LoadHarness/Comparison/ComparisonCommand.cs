using System.CommandLine;
using System.CommandLine.Parsing;
using Sidecar.LoadHarness.Cli;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// <c>loadgen compare</c>: the standard comparison (direct, client-side sidecar, server-side sidecar, both) at a
/// fixed rate with each sidecar's CPU and peak RSS, and optionally saturation throughput against a bare YARP
/// forwarder and HAProxy. Prints one table.
/// </summary>
internal static class ComparisonCommand
{
    public static Command Create()
    {
        var sidecar = new Option<string>("--sidecar") { Description = "The sidecar: NativeAOT binary or Sidecar.dll.", DefaultValueFactory = _ => "artifacts/bench/sidecar/Sidecar" };
        var backend = new Option<string>("--backend") { Description = "The bookinfo workloads (echo role is the backend): binary or bookinfo.dll.", DefaultValueFactory = _ => "artifacts/bench/bookinfo/bookinfo" };
        var bareYarp = new Option<string?>("--bare-yarp") { Description = "A bare YARP forwarder (bench/Sidecar.Baseline) for the throughput comparison." };
        var haproxy = new Option<string?>("--haproxy") { Description = "HAProxy's executable for the throughput comparison (one thread)." };
        var rate = new Option<double>("--rate") { Description = "Fixed request rate of the latency runs.", DefaultValueFactory = _ => 1000 };
        var duration = new Option<string>("--duration") { Description = "Measured time per scenario.", DefaultValueFactory = _ => "30s" };
        var warmup = new Option<string>("--warmup") { Description = "Unmeasured load before each scenario.", DefaultValueFactory = _ => "5s" };
        var connections = new Option<int>("--connections", "-c") { Description = "Connections (Istio's method uses 2 to 64).", DefaultValueFactory = _ => 16 };
        var payload = new Option<int>("--payload") { Description = "Response size from the echo backend, bytes.", DefaultValueFactory = _ => 1024 };
        var http = new Option<string>("--http") { Description = "1.1 or 2 (h2c).", DefaultValueFactory = _ => "1.1" }.AcceptOnlyFromAmong("1.1", "2");
        var saturate = new Option<bool>("--saturate") { Description = "Also measure closed-loop throughput: direct, sidecar, bare YARP, HAProxy." };
        var oneLoop = new Option<bool>("--one-loop") { Description = "With --saturate: also a one-event-loop sidecar (--concurrency 1) and bare YARP, the like-for-like pair for HAProxy's one thread.", DefaultValueFactory = _ => true };
        var rounds = new Option<int>("--rounds") { Description = "Closed-loop runs per target, taken round-robin; the median is reported.", DefaultValueFactory = _ => 3 };
        var starts = new Option<int>("--starts") { Description = "Sidecar starts for the start-to-ready figure (0 to skip).", DefaultValueFactory = _ => 5 };
        var sidecarArgs = new Option<string[]>("--sidecar-arg") { Description = "Extra argument for every sidecar (repeatable)." };

        var command = new Command("compare", "The standard comparison on this machine: direct vs one sidecar vs two sidecars, with CPU and memory.")
        {
            sidecar, backend, bareYarp, haproxy, rate, duration, warmup, connections, payload, http, saturate, oneLoop, rounds, starts, sidecarArgs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!DurationParser.TryParse(parse.GetValue(duration)!, out var measured) || !DurationParser.TryParse(parse.GetValue(warmup)!, out var warm))
            {
                await Console.Error.WriteLineAsync("loadgen compare: --duration/--warmup take durations such as 30s or 500ms").ConfigureAwait(false);
                return 2;
            }

            var options = new ComparisonOptions
            {
                Sidecar = Resolve(parse.GetValue(sidecar)!),
                Backend = Resolve(parse.GetValue(backend)!),
                BareYarp = parse.GetValue(bareYarp) is { } b ? Resolve(b) : null,
                HaProxy = parse.GetValue(haproxy),
                Rate = parse.GetValue(rate),
                Duration = measured,
                Warmup = warm,
                Connections = parse.GetValue(connections),
                PayloadBytes = parse.GetValue(payload),
                Protocol = parse.GetValue(http) == "2" ? HttpProtocol.Http2 : HttpProtocol.Http11,
                Saturate = parse.GetValue(saturate),
                OneLoop = parse.GetValue(oneLoop),
                Rounds = Math.Max(1, parse.GetValue(rounds)),
                Starts = Math.Max(0, parse.GetValue(starts)),
                SidecarArguments = parse.GetValue(sidecarArgs) ?? [],
            };

            foreach (var program in new[] { options.Sidecar, options.Backend }.Concat(options.BareYarp is null ? [] : [options.BareYarp]))
            {
                if (!File.Exists(program))
                {
                    await Console.Error.WriteLineAsync($"loadgen compare: {program} not found (bash bench/compare.sh publishes everything it needs)").ConfigureAwait(false);
                    return 2;
                }
            }

            var results = await new ComparisonRunner(options, Console.Error).RunAsync(cancellationToken).ConfigureAwait(false);
            Console.WriteLine();
            ComparisonTable.Write(Console.Out, results, options.PayloadBytes);
            return 0;
        });
        return command;
    }

    private static string Resolve(string path) => Path.GetFullPath(path);
}
