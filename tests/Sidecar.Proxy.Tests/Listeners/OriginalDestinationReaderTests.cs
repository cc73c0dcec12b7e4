using System.Net;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Tests.Listeners;

public sealed class OriginalDestinationReaderTests
{
    [Fact]
    public void Decodes_sockaddr_in()
    {
        // AF_INET (2, host order), port 9080 (network order), 10.1.2.3.
        byte[] sockaddr = [2, 0, 0x23, 0x78, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 9080), OriginalDestinationReader.Parse(sockaddr));
    }

    [Fact]
    public void Decodes_sockaddr_in6()
    {
        var sockaddr = new byte[28];
        sockaddr[0] = 10; // AF_INET6
        sockaddr[2] = 0x1F;
        sockaddr[3] = 0x90; // 8080
        IPAddress.Parse("fd00::7").GetAddressBytes().CopyTo(sockaddr, 8);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd00::7"), 8080), OriginalDestinationReader.Parse(sockaddr));
    }
}
