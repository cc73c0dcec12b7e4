using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>A span as an OTLP collector received it.</summary>
internal sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes, string ServiceName);

/// <summary>A log record as an OTLP collector received it (opentelemetry/proto/logs/v1/logs.proto).</summary>
internal sealed record ReceivedLogRecord(
    ulong TimeUnixNano, int SeverityNumber, string SeverityText, string Body, IReadOnlyDictionary<string, string> Attributes,
    string TraceId, string SpanId, int ResourceAttributeCount, string ScopeName);

/// <summary>
/// A real OTLP trace and log collector on loopback, speaking both transports the exporter uses: OTLP/HTTP (protobuf POST to
/// <c>/v1/traces</c>) and OTLP/gRPC (<c>opentelemetry.proto.collector.trace.v1.TraceService/Export</c> over h2c).
/// The ExportTraceServiceRequest is decoded field by field from opentelemetry/proto/trace/v1/trace.proto.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private const string GrpcPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    private const string GrpcLogsPath = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<ReceivedLogRecord> _logs = new();

    private OtlpReceiver(WebApplication app, int httpPort, int grpcPort)
    {
        _app = app;
        HttpEndpoint = $"http://127.0.0.1:{httpPort}/v1/traces";
        GrpcEndpoint = $"http://127.0.0.1:{grpcPort}";
    }

    public string HttpEndpoint { get; }

    public string GrpcEndpoint { get; }

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    /// <summary>Log records received over OTLP/gRPC (<c>LogsService/Export</c>).</summary>
    public IReadOnlyCollection<ReceivedLogRecord> Logs => _logs;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var httpPort = Sidecar.Testing.FreePort.Get();
        var grpcPort = Sidecar.Testing.FreePort.Get();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, httpPort, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, httpPort, grpcPort);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        if (context.Request.Path == GrpcPath || context.Request.Path == GrpcLogsPath)
        {
            // gRPC framing: 1 byte compressed flag, 4 bytes big-endian length, then the message.
            if (context.Request.Path == GrpcPath)
            {
                Decode(body.AsSpan(5).ToArray());
            }
            else
            {
                DecodeLogs(body.AsSpan(5).ToArray());
            }

            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5]);
            context.Response.AppendTrailer("grpc-status", "0");
            return;
        }

        if (context.Request.Path == "/v1/traces")
        {
            Decode(body);
            context.Response.ContentType = "application/x-protobuf";
            return;
        }

        context.Response.StatusCode = 404;
    }

    /// <summary>ExportTraceServiceRequest{1: ResourceSpans{1: Resource{1: KeyValue}, 2: ScopeSpans{2: Span}}}.</summary>
    private void Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = "";
            foreach (var resource in Fields(resourceSpans, 1))
            {
                var attributes = Attributes(resource, 1);
                service = attributes.GetValueOrDefault("service.name", "");
            }

            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    _spans.Enqueue(DecodeSpan(span, service));
                }
            }
        }
    }

    /// <summary>ExportLogsServiceRequest{1: ResourceLogs{1: Resource{1: KeyValue}, 2: ScopeLogs{1: InstrumentationScope{1: name}, 2: LogRecord}}}.</summary>
    private void DecodeLogs(byte[] request)
    {
        foreach (var resourceLogs in Fields(request, 1))
        {
            var resourceAttributes = Fields(resourceLogs, 1).Sum(resource => Attributes(resource, 1).Count);
            foreach (var scopeLogs in Fields(resourceLogs, 2))
            {
                var scopeName = "";
                foreach (var scope in Fields(scopeLogs, 1))
                {
                    foreach (var name in Fields(scope, 1))
                    {
                        scopeName = System.Text.Encoding.UTF8.GetString(name);
                    }
                }

                foreach (var record in Fields(scopeLogs, 2))
                {
                    _logs.Enqueue(DecodeLogRecord(record, resourceAttributes, scopeName));
                }
            }
        }
    }

    /// <summary>LogRecord{1 time_unix_nano, 2 severity_number, 3 severity_text, 5 body, 6 attributes, 9 trace_id, 10 span_id}.</summary>
    private static ReceivedLogRecord DecodeLogRecord(byte[] record, int resourceAttributes, string scopeName)
    {
        ulong time = 0;
        int severity = 0;
        string severityText = "", body = "", traceId = "", spanId = "";
        var input = new CodedInputStream(record);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: time = input.ReadFixed64(); break;
                case 2: severity = input.ReadEnum(); break;
                case 3: severityText = input.ReadString(); break;
                case 5: body = StringValue(input.ReadBytes().ToByteArray()); break;
                case 9: traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 10: spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }

        return new ReceivedLogRecord(time, severity, severityText, body, Attributes(record, 6), traceId, spanId, resourceAttributes, scopeName);
    }

    /// <summary>AnyValue{1 string_value}.</summary>
    private static string StringValue(byte[] anyValue)
    {
        foreach (var value in Fields(anyValue, 1))
        {
            return System.Text.Encoding.UTF8.GetString(value);
        }

        return "";
    }

    /// <summary>Span{1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes}.</summary>
    private static ReceivedSpan DecodeSpan(byte[] span, string service)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var input = new CodedInputStream(span);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new ReceivedSpan(traceId, spanId, parent, name, kind, Attributes(span, 9), service);
    }

    /// <summary>KeyValue{1 key, 2 AnyValue{1 string, 2 bool, 3 int, 4 double}} fields of a message, as strings.</summary>
    private static Dictionary<string, string> Attributes(byte[] message, int field)
    {
        var result = new Dictionary<string, string>();
        foreach (var keyValue in Fields(message, field))
        {
            var input = new CodedInputStream(keyValue);
            string key = "", value = "";
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 1)
                {
                    key = input.ReadString();
                }
                else if (WireFormat.GetTagFieldNumber(tag) == 2)
                {
                    var any = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint anyTag;
                    while ((anyTag = any.ReadTag()) != 0)
                    {
                        value = WireFormat.GetTagFieldNumber(anyTag) switch
                        {
                            1 => any.ReadString(),
                            2 => any.ReadBool() ? "true" : "false",
                            3 => any.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                            4 => any.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
                            _ => Skip(any),
                        };
                    }
                }
                else
                {
                    input.SkipLastField();
                }
            }

            result[key] = value;
        }

        return result;
    }

    private static string Skip(CodedInputStream input)
    {
        input.SkipLastField();
        return "";
    }

    /// <summary>The payloads of every length-delimited occurrence of <paramref name="field"/>.</summary>
    private static List<byte[]> Fields(byte[] message, int field)
    {
        var result = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                result.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return result;
    }
}
