using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;

namespace Sidecar.Proxy.MetadataExchange;

/// <summary>
/// Istio's peer metadata wire forms: the <c>google.protobuf.Struct</c> carried base64-encoded in the
/// <c>x-envoy-peer-metadata</c> header (HTTP), and the length-prefixed Any-packed Struct of the TCP exchange under ALPN
/// <c>istio-peer-exchange</c> (magic <c>0x3D230467</c>, then the size, both big-endian uint32).
/// </summary>
public static class PeerMetadataCodec
{
    public const string MetadataHeader = "x-envoy-peer-metadata";

    public const string MetadataIdHeader = "x-envoy-peer-metadata-id";

    /// <summary>The ALPN under which Istio runs the TCP exchange.</summary>
    public const string PeerExchangeAlpn = "istio-peer-exchange";

    public const uint TcpMagic = 0x3D230467;

    /// <summary>The TCP preamble's header: magic and payload size.</summary>
    public const int TcpHeaderSize = 8;

    /// <summary>The largest TCP payload accepted (Envoy's exchange limits it the same way).</summary>
    public const int MaxTcpPayload = 64 * 1024;

    public static Struct ToStruct(PeerMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var labels = new Struct();
        foreach (var (key, value) in metadata.Labels)
        {
            labels.Fields[key] = Value.ForString(value);
        }

        var result = new Struct();
        result.Fields["NAME"] = Value.ForString(metadata.Name);
        result.Fields["NAMESPACE"] = Value.ForString(metadata.Namespace);
        result.Fields["CLUSTER_ID"] = Value.ForString(metadata.ClusterId);
        result.Fields["WORKLOAD_NAME"] = Value.ForString(metadata.WorkloadName);
        if (metadata.Identity is { } identity)
        {
            result.Fields["IDENTITY"] = Value.ForString(identity);
        }

        if (metadata.Owner is { } owner)
        {
            result.Fields["OWNER"] = Value.ForString(owner);
        }

        result.Fields["LABELS"] = Value.ForStruct(labels);
        return result;
    }

    public static PeerMetadata FromStruct(Struct value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var labels = Labels.Empty;
        if (value.Fields.TryGetValue("LABELS", out var labelValue) && labelValue.KindCase == Value.KindOneofCase.StructValue)
        {
            labels = Labels.From(labelValue.StructValue.Fields
                .Where(f => f.Value.KindCase == Value.KindOneofCase.StringValue)
                .Select(f => new KeyValuePair<string, string>(f.Key, f.Value.StringValue)));
        }

        return new PeerMetadata
        {
            Name = StringField(value, "NAME") ?? "",
            Namespace = StringField(value, "NAMESPACE") ?? "",
            ClusterId = StringField(value, "CLUSTER_ID") ?? "",
            Identity = StringField(value, "IDENTITY"),
            Owner = StringField(value, "OWNER"),
            WorkloadName = StringField(value, "WORKLOAD_NAME") ?? "",
            Labels = labels,
        };
    }

    /// <summary>The <c>x-envoy-peer-metadata</c> header value.</summary>
    public static string ToHeaderValue(PeerMetadata metadata) => ToStruct(metadata).ToByteString().ToBase64();

    /// <summary>Decodes a header value; false (never an exception) for anything that is not a base64 Struct.</summary>
    public static bool TryFromHeaderValue(string? headerValue, out PeerMetadata? metadata)
    {
        metadata = null;
        if (string.IsNullOrEmpty(headerValue))
        {
            return false;
        }

        try
        {
            metadata = FromStruct(Struct.Parser.ParseFrom(Convert.FromBase64String(headerValue)));
            return true;
        }
        catch (Exception e) when (e is FormatException or InvalidProtocolBufferException)
        {
            return false;
        }
    }

    /// <summary>The whole TCP preamble: header, then an Any holding a Struct of the metadata and its id.</summary>
    public static byte[] ToTcpPreamble(PeerMetadata metadata, string nodeId)
    {
        var exchange = new Struct();
        exchange.Fields[MetadataHeader] = Value.ForStruct(ToStruct(metadata));
        exchange.Fields[MetadataIdHeader] = Value.ForString(nodeId);
        var payload = Any.Pack(exchange).ToByteArray();
        var frame = new byte[TcpHeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, TcpMagic);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, TcpHeaderSize);
        return frame;
    }

    /// <summary>Reads the TCP header: false when the magic is wrong or the size is out of bounds.</summary>
    public static bool TryReadTcpHeader(ReadOnlySpan<byte> header, out int payloadSize)
    {
        payloadSize = 0;
        if (header.Length < TcpHeaderSize || BinaryPrimitives.ReadUInt32BigEndian(header) != TcpMagic)
        {
            return false;
        }

        var size = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (size > MaxTcpPayload)
        {
            return false;
        }

        payloadSize = (int)size;
        return true;
    }

    /// <summary>Decodes the TCP payload (the Any-packed Struct) into the peer's metadata and node id.</summary>
    public static bool TryReadTcpPayload(ReadOnlySpan<byte> payload, out PeerMetadata? metadata, out string? nodeId)
    {
        metadata = null;
        nodeId = null;
        try
        {
            var any = Any.Parser.ParseFrom(payload);
            if (!any.TryUnpack<Struct>(out var exchange))
            {
                return false;
            }

            if (exchange.Fields.TryGetValue(MetadataHeader, out var inner) && inner.KindCase == Value.KindOneofCase.StructValue)
            {
                metadata = FromStruct(inner.StructValue);
            }

            nodeId = StringField(exchange, MetadataIdHeader);
            return metadata is not null;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private static string? StringField(Struct value, string key) =>
        value.Fields.TryGetValue(key, out var field) && field.KindCase == Value.KindOneofCase.StringValue ? field.StringValue : null;
}
