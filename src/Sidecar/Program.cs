using System.CommandLine;
using Sidecar.CommandLine;
using Sidecar.Hosting;

RuntimeTuning.Apply();

// The sidecar's command line: `sidecar run --config DIR [--bind IP] ...`; pilot-agent's `wait` and `request`;
// `sidecar version`.
var root = new RootCommand("Sidecar: a service-mesh sidecar proxy for Istio (Envoy and pilot-agent in one process).")
{
    RunCommand.Create(),
    WaitCommand.Create(),
    RequestCommand.Create(),
    VersionCommand.Create(),
};

// The host handles SIGTERM/SIGINT itself (graceful drain), so the parser must not cancel on them first.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
