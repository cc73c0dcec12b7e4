using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>
/// A Kestrel server that expects each connection to begin with a PROXY protocol header, as a server behind a load
/// balancer that sends one: a connection middleware reads it (HAProxy's proxy-protocol.txt, versions 1 and 2) before
/// HTTP, and before TLS when a certificate is given; a connection without one is closed. Each response is
/// <c>header|connection id</c>, the header described as <c>V1 TCP4 src:port dst:port</c>, <c>V2 PROXY TCP4 ...</c>
/// or <c>V2 LOCAL</c>.
/// </summary>
internal sealed class ProxyProtocolBackend : IAsyncDisposable
{
    private const string HeaderKey = "proxy-protocol";
    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
    private readonly WebApplication _app;

    private ProxyProtocolBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<ProxyProtocolBackend> StartAsync(IPAddress address, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, 0, listen =>
        {
            listen.Use(next => async connection =>
            {
                connection.Items[HeaderKey] = await ReadHeaderAsync(connection.Transport.Input, connection.ConnectionClosed);
                await next(connection);
            });
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.Run(context =>
        {
            var items = context.Features.Get<IConnectionItemsFeature>()!.Items;
            var body = Encoding.ASCII.GetBytes($"{items[HeaderKey]}|{context.Connection.Id}");
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        });
        await app.StartAsync();
        return new ProxyProtocolBackend(app, new Uri(app.Urls.Single()).Port);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static async Task<string> ReadHeaderAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryParse(buffer.ToArray(), out var length, out var header))
            {
                input.AdvanceTo(buffer.GetPosition(length));
                return header;
            }

            if (result.IsCompleted)
            {
                throw new InvalidDataException("the connection closed before its PROXY protocol header");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryParse(byte[] bytes, out int length, out string header)
    {
        length = 0;
        header = "";
        if (bytes.Length > 0 && bytes[0] == (byte)'P')
        {
            var prefix = Math.Min(bytes.Length, 6);
            if (!bytes.AsSpan(0, prefix).SequenceEqual("PROXY "u8[..prefix]))
            {
                throw new InvalidDataException("not a PROXY protocol header");
            }

            var end = bytes.AsSpan().IndexOf("\r\n"u8);
            if (end < 0)
            {
                return bytes.Length < 107 ? false : throw new InvalidDataException("a version 1 header longer than 107 bytes");
            }

            // PROXY TCP4 src dst sport dport
            var fields = Encoding.ASCII.GetString(bytes, 0, end).Split(' ');
            header = fields[1] == "UNKNOWN"
                ? "V1 UNKNOWN"
                : $"V1 {fields[1]} {Endpoint(fields[2], fields[4])} {Endpoint(fields[3], fields[5])}";
            length = end + 2;
            return true;
        }

        if (bytes.Length < 16)
        {
            return V2Signature.AsSpan(0, Math.Min(bytes.Length, 12)).SequenceEqual(bytes.AsSpan(0, Math.Min(bytes.Length, 12)))
                ? false
                : throw new InvalidDataException("not a PROXY protocol header");
        }

        if (!bytes.AsSpan(0, 12).SequenceEqual(V2Signature) || bytes[12] >> 4 != 2)
        {
            throw new InvalidDataException("not a PROXY protocol header");
        }

        var addressLength = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(14));
        if (bytes.Length < 16 + addressLength)
        {
            return false;
        }

        length = 16 + addressLength;
        if ((bytes[12] & 0x0F) == 0)
        {
            header = "V2 LOCAL";
            return true;
        }

        var (family, size) = bytes[13] switch
        {
            0x11 => ("TCP4", 4),
            0x21 => ("TCP6", 16),
            _ => throw new InvalidDataException($"unexpected family and transport 0x{bytes[13]:x2}"),
        };
        var source = new IPAddress(bytes.AsSpan(16, size));
        var destination = new IPAddress(bytes.AsSpan(16 + size, size));
        var ports = bytes.AsSpan(16 + (2 * size));
        header = $"V2 PROXY {family} {new IPEndPoint(source, BinaryPrimitives.ReadUInt16BigEndian(ports))} {new IPEndPoint(destination, BinaryPrimitives.ReadUInt16BigEndian(ports[2..]))}";
        return true;
    }

    private static string Endpoint(string address, string port) => new IPEndPoint(IPAddress.Parse(address), int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)).ToString();
}
