namespace Sidecar.Proxy.Dns;

/// <summary>The record types and codes the DNS proxy reads or writes (RFC 1035, 3596, 6891).</summary>
internal static class DnsRecordType
{
    public const ushort A = 1;
    public const ushort Cname = 5;
    public const ushort Aaaa = 28;
    public const ushort Opt = 41;

    public const ushort ClassInternet = 1;

    public const int RcodeFormatError = 1;
    public const int RcodeServerFailure = 2;
    public const int RcodeNotImplemented = 4;
}
