namespace Sidecar.Init.CommandLine;

/// <summary>
/// Reads istio-iptables style arguments: "-p 15001", "-p15001", "-p=15001", "--envoy-port 15001",
/// "--envoy-port=15001", switches as "-n", "--dry-run" or "--dry-run=false". Environment variables are read first and
/// flags override them, as Istio's flag.BindEnv arranges.
/// </summary>
internal static class CommandLineParser
{
    public static ParsedOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var parsed = new ParsedOptions();
        foreach (var spec in IptablesFlags.All)
        {
            foreach (var envName in spec.EnvNames)
            {
                if (environment(envName) is { } text)
                {
                    parsed.Set(new OptionValue(spec, text, envName));
                }
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                for (i++; i < args.Count; i++)
                {
                    Positional(parsed, args[i]);
                }
                break;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var body = arg[2..];
                var equals = body.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? body : body[..equals];
                var spec = FindLong(name) ?? throw new OptionException($"unknown flag: --{name}");
                string? inline = equals < 0 ? null : body[(equals + 1)..];
                parsed.Set(new OptionValue(spec, ValueOf(spec, inline, args, ref i), null));
            }
            else if (arg.Length > 1 && arg[0] == '-')
            {
                var spec = FindShort(arg[1]) ?? throw new OptionException($"unknown shorthand flag: '{arg[1]}' in {arg}");
                string? inline = arg.Length == 2 ? null : arg[2] == '=' ? arg[3..] : arg[2..];
                if (spec.IsSwitch && inline is not null && arg[2] != '=')
                {
                    throw new OptionException($"switch {spec.Display} does not take a value: {arg}");
                }
                parsed.Set(new OptionValue(spec, ValueOf(spec, inline, args, ref i), null));
            }
            else
            {
                Positional(parsed, arg);
            }
        }
        return parsed;
    }

    private static string ValueOf(OptionSpec spec, string? inline, IReadOnlyList<string> args, ref int i)
    {
        if (inline is not null)
        {
            return inline;
        }
        if (spec.IsSwitch)
        {
            return "true";
        }
        if (i + 1 >= args.Count)
        {
            throw new OptionException($"flag needs an argument: {spec.Display}");
        }
        return args[++i];
    }

    private static void Positional(ParsedOptions parsed, string arg)
    {
        if (arg != "cleanup")
        {
            throw new OptionException($"unexpected argument \"{arg}\" (the only command is \"cleanup\")");
        }
        parsed.CleanupCommand = true;
    }

    private static OptionSpec? FindLong(string name)
    {
        foreach (var spec in IptablesFlags.All)
        {
            if (spec.Name == name)
            {
                return spec;
            }
        }
        return null;
    }

    private static OptionSpec? FindShort(char shortName)
    {
        foreach (var spec in IptablesFlags.All)
        {
            if (spec.Short == shortName)
            {
                return spec;
            }
        }
        return null;
    }
}
