using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using Sidecar.LoadHarness.Reporting;
using Sidecar.LoadHarness.Running;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Cli;

/// <summary>
/// <c>loadgen run --url URL --rate 1000 --duration 30s [--warmup 5s] --connections 16 [--http 1.1|2] [--payload 1024]
/// [--method GET|POST] [--header 'Host: svc:9080']... [--json out.json]</c>, and <c>loadgen saturate</c> (closed loop).
/// </summary>
internal static class LoadCommandLine
{
    private const int ExitNoResponses = 1;
    private const int ExitInvalidScenario = 2;

    public static RootCommand Create()
    {
        var root = new RootCommand("Fixed-rate HTTP load generator: coordinated-omission-free latency percentiles (HdrHistogram).");
        root.Subcommands.Add(CreateCommand(
            "run",
            "Open loop: request i is due at start + i/rate over a fixed set of connections; latency counts from that "
            + "due time, so queueing and stalls show. --rate 0 is the same as saturate.",
            openLoop: true));
        root.Subcommands.Add(CreateCommand(
            "saturate",
            "Closed loop: every connection (or stream) sends as soon as its previous response arrives; reports maximum "
            + "requests/s and the same percentiles, for comparison with wrk.",
            openLoop: false));
        root.Subcommands.Add(Comparison.ComparisonCommand.Create());
        root.Subcommands.Add(Comparison.ComparisonRoutesCommand.Create());
        root.Subcommands.Add(Comparison.ComparisonClientConfigCommand.Create());
        return root;
    }

    private static Command CreateCommand(string name, string description, bool openLoop)
    {
        var options = new LoadOptions(openLoop);
        var command = new Command(name, description);
        options.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(options, parse, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(LoadOptions options, ParseResult parse, CancellationToken cancellationToken)
    {
        LoadScenario scenario;
        try
        {
            scenario = options.ToScenario(parse);
            scenario.Validate();
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync("loadgen: " + ex.Message).ConfigureAwait(false);
            return ExitInvalidScenario;
        }

        await Console.Error.WriteLineAsync(
            $"loadgen: {(scenario.IsOpenLoop ? "open loop" : "closed loop")} against {scenario.Url} for "
            + $"{scenario.Warmup.TotalSeconds:0.##} s warmup + {scenario.Duration.TotalSeconds:0.##} s").ConfigureAwait(false);
        var report = await LoadRunner.RunAsync(scenario, cancellationToken).ConfigureAwait(false);
        ReportTable.Write(report, Console.Out);

        if (parse.GetValue(options.Json) is { } jsonPath)
        {
            await using var json = File.Create(jsonPath);
            await JsonSerializer.SerializeAsync(json, report, ReportJsonContext.Default.LoadReport, CancellationToken.None).ConfigureAwait(false);
        }

        if (parse.GetValue(options.Hdr) is { } hdrPath)
        {
            await using var hdr = File.CreateText(hdrPath);
            report.Distribution.WritePercentileDistribution(hdr);
        }

        return report.Responses > 0 ? 0 : ExitNoResponses;
    }

    /// <summary>One command's options (System.CommandLine symbols belong to one command each).</summary>
    private sealed class LoadOptions
    {
        private readonly bool _openLoop;

        public LoadOptions(bool openLoop)
        {
            _openLoop = openLoop;
            Streams.DefaultValueFactory = _ => openLoop ? 100 : 1;
        }

        public Option<Uri> Url { get; } = new("--url")
        {
            Description = "The target, http:// (HTTP/2 is h2c with prior knowledge).",
            Required = true,
            CustomParser = ParseUrl,
        };

        public Option<double> Rate { get; } = new("--rate")
        {
            Description = "Requests per second; 0 runs closed loop at maximum throughput.",
            DefaultValueFactory = _ => 1000,
        };

        public Option<TimeSpan> Duration { get; } = new("--duration")
        {
            Description = "How long latencies are recorded (30s, 500ms, 2m).",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
            CustomParser = ParseDuration,
        };

        public Option<TimeSpan> Warmup { get; } = new("--warmup")
        {
            Description = "Load applied before recording starts.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(5),
            CustomParser = ParseDuration,
        };

        public Option<int> Connections { get; } = new("--connections", "-c")
        {
            Description = "Connections kept open to the target.",
            DefaultValueFactory = _ => 16,
        };

        public Option<HttpProtocol> Http { get; } = new("--http")
        {
            Description = "HTTP version: 1.1, or 2 (h2c prior knowledge).",
            HelpName = "1.1|2",
            DefaultValueFactory = _ => HttpProtocol.Http11,
            CustomParser = ParseProtocol,
        };

        public Option<int> Streams { get; } = new("--streams")
        {
            Description = "HTTP/2: requests in flight per connection at most (run: client queue limit; saturate: "
                + "concurrent streams per connection).",
        };

        public Option<int> Payload { get; } = new("--payload")
        {
            Description = "Payload bytes: POST/PUT/PATCH send a body of this size; other methods ask the echo "
                + "backend for a response of this size with ?size=N.",
            DefaultValueFactory = _ => 0,
        };

        public Option<string> Method { get; } = new("--method")
        {
            Description = "Request method.",
            DefaultValueFactory = _ => "GET",
        };

        public Option<string[]> Headers { get; } = new("--header", "-H")
        {
            Description = "A request header, 'Name: value'; repeatable. 'Host: reviews:9080' sets the authority a "
                + "standalone sidecar routes on.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        public Option<TimeSpan> Timeout { get; } = new("--timeout")
        {
            Description = "A request without a complete response after this long is a timeout error.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseDuration,
        };

        public Option<string?> Json { get; } = new("--json")
        {
            Description = "Also write the report as JSON to this file.",
        };

        public Option<string?> Hdr { get; } = new("--hdr")
        {
            Description = "Also write HdrHistogram's percentile distribution (.hgrm, milliseconds) to this file.",
        };

        public void AddTo(Command command)
        {
            if (_openLoop)
            {
                command.Options.Add(Rate);
            }

            foreach (var option in (Option[])[Url, Duration, Warmup, Connections, Http, Streams, Payload, Method, Headers, Timeout, Json, Hdr])
            {
                command.Options.Add(option);
            }
        }

        public LoadScenario ToScenario(ParseResult parse)
        {
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var text in parse.GetValue(Headers) ?? [])
            {
                headers.Add(HeaderParser.TryParse(text, out var header)
                    ? header
                    : throw new ArgumentException($"--header '{text}' is not 'Name: value'"));
            }

            return new LoadScenario
            {
                Url = parse.GetValue(Url)!,
                Rate = _openLoop ? parse.GetValue(Rate) : 0,
                Duration = parse.GetValue(Duration),
                Warmup = parse.GetValue(Warmup),
                Connections = parse.GetValue(Connections),
                Protocol = parse.GetValue(Http),
                StreamsPerConnection = parse.GetValue(Streams),
                PayloadBytes = parse.GetValue(Payload),
                Method = HttpMethod.Parse(parse.GetValue(Method)),
                Headers = headers,
                Timeout = parse.GetValue(Timeout),
            };
        }

        private static Uri ParseUrl(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp)
            {
                return uri;
            }

            result.AddError($"--url '{text}' is not an http:// URL");
            return null!;
        }

        private static TimeSpan ParseDuration(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (DurationParser.TryParse(text, out var duration))
            {
                return duration;
            }

            result.AddError($"'{text}' is not a duration (30s, 500ms, 2m)");
            return TimeSpan.Zero;
        }

        private static HttpProtocol ParseProtocol(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            switch (text)
            {
                case "1.1" or "1" or "http1" or "h1":
                    return HttpProtocol.Http11;
                case "2" or "2.0" or "http2" or "h2" or "h2c":
                    return HttpProtocol.Http2;
                default:
                    result.AddError($"--http '{text}': expected 1.1 or 2");
                    return HttpProtocol.Http11;
            }
        }
    }
}
