using Sidecar.Init.Processes;

namespace Sidecar.Init.Xtables;

/// <summary>
/// --dry-run: prints what would run, in the form of istio-iptables' dry-run harness (DependenciesStub), which is the
/// form of its golden files: a command as one line ("iptables-save", "iptables -t nat -D ..."), an iptables-restore
/// as the lines of its input. Every command "succeeds" with no output, so the state looks clean.
/// </summary>
internal sealed class DryRunXtables : IXtables
{
    public static readonly IptablesBinaries IPv4 = IptablesBinaries.Named("iptables");
    public static readonly IptablesBinaries IPv6 = IptablesBinaries.Named("ip6tables");

    private readonly TextWriter _output;

    public DryRunXtables(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public CommandResult Run(IptablesBinaries binaries, XtablesCommand command, IReadOnlyList<string> arguments, string? stdin = null, bool quiet = false)
    {
        ArgumentNullException.ThrowIfNull(binaries);
        ArgumentNullException.ThrowIfNull(arguments);
        if (stdin is not null)
        {
            using var reader = new StringReader(stdin);
            while (reader.ReadLine() is { } line)
            {
                _output.WriteLine(line);
            }
        }
        else
        {
            _output.WriteLine(string.Join(' ', [binaries.For(command), .. arguments]));
        }
        return new CommandResult(0, string.Empty, string.Empty);
    }
}
