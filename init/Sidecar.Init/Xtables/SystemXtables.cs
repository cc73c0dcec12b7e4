using Sidecar.Init.Diagnostics;
using Sidecar.Init.Processes;

namespace Sidecar.Init.Xtables;

/// <summary>Runs the detected iptables binaries for real.</summary>
internal sealed class SystemXtables : IXtables
{
    private readonly InitLog _log;

    public SystemXtables(InitLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
    }

    public CommandResult Run(IptablesBinaries binaries, XtablesCommand command, IReadOnlyList<string> arguments, string? stdin = null, bool quiet = false)
    {
        ArgumentNullException.ThrowIfNull(binaries);
        ArgumentNullException.ThrowIfNull(arguments);
        var binary = binaries.For(command);
        if (binary.Length == 0)
        {
            return new CommandResult(127, string.Empty, $"no {command} binary was detected for this address family", NotFound: true);
        }
        // The legacy backend serialises writers through /run/xtables.lock; wait for it rather than fail.
        IReadOnlyList<string> args = binaries.NeedsLock(command) ? [.. arguments, "--wait=30"] : arguments;
        var commandLine = string.Join(' ', [binary, .. args]);
        if (!quiet)
        {
            _log.Info(stdin is null ? $"Running: {commandLine}" : $"Running: {commandLine} with input:\n{stdin.TrimEnd()}");
        }
        var result = ExternalCommand.Run(binary, args, stdin);
        if (!result.Succeeded && !quiet)
        {
            _log.Error($"{commandLine} failed: {XtablesError.Describe(result)}");
        }
        return result;
    }
}
