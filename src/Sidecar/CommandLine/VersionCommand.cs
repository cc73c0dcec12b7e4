using System.CommandLine;
using System.Reflection;

namespace Sidecar.CommandLine;

/// <summary><c>sidecar version</c>: the build's version.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the sidecar's version.");
        command.SetAction(parse =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            parse.InvocationConfiguration.Output.WriteLine($"sidecar {version}");
            return 0;
        });
        return command;
    }
}
