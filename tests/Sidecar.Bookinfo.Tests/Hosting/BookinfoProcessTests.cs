using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Sidecar.Bookinfo.Tests.Hosting;

public sealed partial class BookinfoProcessTests
{
    private const int Sigterm = 15;

    [Fact]
    public async Task The_executable_serves_on_the_port_it_reports_and_exits_cleanly_on_sigterm()
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "bookinfo.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { assembly, "--role", "ratings", "--version", "v2", "--listen", "http://127.0.0.1:0" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        try
        {
            var address = await ReadListeningAddressAsync(process, TimeSpan.FromSeconds(30));
            using var client = new HttpClient();

            using var response = await client.GetAsync(new Uri(address, "/ratings/0"));

            Assert.Equal(["ratings-v2"], response.Headers.GetValues("x-bookinfo-workload"));
            Assert.Equal(0, kill(process.Id, Sigterm));
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static async Task<Uri> ReadListeningAddressAsync(Process process, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                return new Uri(match.Groups[1].Value);
            }
        }

        throw new InvalidOperationException("bookinfo exited before reporting its address: " + await process.StandardError.ReadToEndAsync());
    }

    [GeneratedRegex(@"listening on (http://[0-9.]+:[0-9]+)")]
    private static partial Regex ListeningLine();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
