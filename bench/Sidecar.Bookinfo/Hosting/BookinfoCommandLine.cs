using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;

namespace Sidecar.Bookinfo.Hosting;

/// <summary>
/// <c>bookinfo --role productpage|details|reviews|ratings|echo --version v1 --listen http://127.0.0.1:9080
/// [--name NAME] [--upstream http://127.0.0.1:15001] [--payload-bytes N] [--h2c]</c>.
/// </summary>
internal static class BookinfoCommandLine
{
    private static readonly Option<WorkloadRole> Role = new("--role")
    {
        Description = "The workload to play.",
        HelpName = "productpage|details|reviews|ratings|echo",
        Required = true,
        CustomParser = ParseRole,
    };

    private static readonly Option<string> Version = new("--version")
    {
        Description = "The version label (v1, v2, v3); reviews v2 and v3 call ratings (black and red stars).",
        DefaultValueFactory = static _ => "v1",
    };

    private static readonly Option<IPEndPoint> Listen = new("--listen")
    {
        Description = "The http:// address to listen on; port 0 picks a free port.",
        HelpName = "http://IP:PORT",
        DefaultValueFactory = static _ => new IPEndPoint(IPAddress.Loopback, 9080),
        CustomParser = ParseListen,
    };

    private static readonly Option<string?> Name = new("--name")
    {
        Description = "The workload name in x-bookinfo-workload (default: the role).",
    };

    private static readonly Option<Uri?> Upstream = new("--upstream")
    {
        HelpName = "http://IP:PORT",
        Description = "Send calls to other services here (the sidecar's outbound listener) with Host: service:9080; "
            + "without it, connect to the service name directly.",
        CustomParser = ParseUpstream,
    };

    private static readonly Option<int> PayloadBytes = new("--payload-bytes")
    {
        Description = "echo: answer every request with a body of N bytes instead of JSON (?size=N does it per request).",
        DefaultValueFactory = static _ => 0,
    };

    private static readonly Option<bool> H2c = new("--h2c")
    {
        Description = "Listen for HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1: Kestrel cannot serve both on one "
            + "cleartext port.",
    };

    public static RootCommand Create()
    {
        var root = new RootCommand("Istio's bookinfo sample services, and an echo backend, for the sidecar's demo and load tests.");

        // --version is the workload's version label here, as in Istio's deployments, not the tool's.
        for (var i = root.Options.Count - 1; i >= 0; i--)
        {
            if (root.Options[i] is VersionOption)
            {
                root.Options.RemoveAt(i);
            }
        }

        foreach (var option in (Option[])[Role, Version, Listen, Name, Upstream, PayloadBytes, H2c])
        {
            root.Options.Add(option);
        }

        PayloadBytes.Validators.Add(static result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value is < 0 or > Roles.EchoRole.MaxPayloadBytes)
            {
                result.AddError($"--payload-bytes must be between 0 and {Roles.EchoRole.MaxPayloadBytes}");
            }
        });
        root.SetAction(static async (parse, cancellationToken) =>
        {
            var options = ToOptions(parse);
            await using var app = BookinfoApp.Build(options);
            // The host's console lifetime turns SIGTERM and Ctrl-C into a graceful stop (drain, then exit 0).
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        });
        return root;
    }

    public static WorkloadOptions ToOptions(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var role = parse.GetValue(Role);
        return new WorkloadOptions(
            role,
            parse.GetValue(Version) ?? "v1",
            parse.GetValue(Listen) ?? new IPEndPoint(IPAddress.Loopback, 9080),
            parse.GetValue(Name) ?? RoleName(role),
            parse.GetValue(Upstream),
            parse.GetValue(PayloadBytes),
            parse.GetValue(H2c));
    }

    public static string RoleName(WorkloadRole role) => role switch
    {
        WorkloadRole.ProductPage => "productpage",
        WorkloadRole.Details => "details",
        WorkloadRole.Reviews => "reviews",
        WorkloadRole.Ratings => "ratings",
        WorkloadRole.Echo => "echo",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };

    private static WorkloadRole ParseRole(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        foreach (var role in Enum.GetValues<WorkloadRole>())
        {
            if (string.Equals(RoleName(role), text, StringComparison.OrdinalIgnoreCase))
            {
                return role;
            }
        }

        result.AddError($"unknown role '{text}': expected productpage, details, reviews, ratings or echo");
        return default;
    }

    private static IPEndPoint ParseListen(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!ListenAddress.TryParse(text, out var endPoint, out var error))
        {
            result.AddError(error);
        }

        return endPoint;
    }

    private static Uri? ParseUpstream(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            result.AddError($"--upstream '{text}' is not an http:// address");
            return null;
        }

        return uri;
    }
}
