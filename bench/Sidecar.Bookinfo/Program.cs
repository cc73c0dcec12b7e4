using System.CommandLine;
using Sidecar.Bookinfo.Hosting;

// The host handles SIGTERM and Ctrl-C itself (graceful drain), so the parser must not install its own handler.
return await BookinfoCommandLine.Create()
    .Parse(args)
    .InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null })
    .ConfigureAwait(false);
