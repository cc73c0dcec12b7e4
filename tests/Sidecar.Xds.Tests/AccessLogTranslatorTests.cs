using Envoy.Config.Core.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using Sidecar.Xds.Translation;
using EnvoyAccessLog = Envoy.Config.Accesslog.V3.AccessLog;

namespace Sidecar.Xds.Tests;

/// <summary>istiod's file access log (from accessLogFile, accessLogEncoding, accessLogFormat) read into the model.</summary>
public sealed class AccessLogTranslatorTests
{
    [Fact]
    public void A_json_log_format_is_JSON_encoding_with_the_format_object()
    {
        var format = new Struct { Fields = { ["code"] = Value.ForString("%RESPONSE_CODE%"), ["path"] = Value.ForString("%REQ(:PATH)%") } };
        var log = File(new FileAccessLog { Path = "/dev/stdout", LogFormat = new SubstitutionFormatString { JsonFormat = format } });

        var (path, encoding, text) = AccessLogTranslator.Read([log], new TranslationErrors(), "Listener x", "access_log")!.Value;

        Assert.Equal(("/dev/stdout", AccessLogEncoding.Json), (path, encoding));
        Assert.Equal("{\"code\":\"%RESPONSE_CODE%\",\"path\":\"%REQ(:PATH)%\"}", text);
    }

    [Fact]
    public void A_format_with_an_operator_Envoy_does_not_know_falls_back_to_the_default_with_a_warning()
    {
        var errors = new TranslationErrors();
        var log = File(new FileAccessLog { Path = "/var/log/proxy.log", LogFormat = new SubstitutionFormatString { TextFormatSource = new DataSource { InlineString = "%NO_SUCH_OPERATOR%\n" } } });

        var (path, encoding, text) = AccessLogTranslator.Read([log], errors, "Listener x", "access_log")!.Value;

        Assert.Equal(("/var/log/proxy.log", AccessLogEncoding.Text, ""), (path, encoding, text));
        Assert.Single(errors.Warnings);
        Assert.False(errors.Any);
    }

    [Fact]
    public void No_file_access_log_is_none()
    {
        Assert.Null(AccessLogTranslator.Read([new EnvoyAccessLog { Name = "envoy.access_loggers.open_telemetry", TypedConfig = Any.Pack(new Empty()) }], new TranslationErrors(), "Listener x", "access_log"));
    }

    private static EnvoyAccessLog File(FileAccessLog file) => new() { Name = "envoy.access_loggers.file", TypedConfig = Any.Pack(file) };
}
