using System.Net;

namespace Sidecar.Testing;

/// <summary>
/// Hands out distinct 127.x.y.z addresses so several sidecars (like pods) can use Istio's fixed ports on one
/// machine. The second octet is derived from the process id so concurrent test processes do not collide.
/// </summary>
public static class LoopbackAddresses
{
    private static readonly int SecondOctet = 20 + (Environment.ProcessId % 200);
    private static int _next = Random.Shared.Next(0, 1000);

    public static IPAddress Next()
    {
        var n = Interlocked.Increment(ref _next);
        return new IPAddress([127, (byte)SecondOctet, (byte)(1 + ((n / 250) % 250)), (byte)(1 + (n % 250))]);
    }
}
