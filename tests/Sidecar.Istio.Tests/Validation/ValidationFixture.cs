using Sidecar.Istio.Parsing;
using Sidecar.Istio.Validation;
using Sidecar.Model;

namespace Sidecar.Istio.Tests.Validation;

internal static class ValidationFixture
{
    public static ValidationResult Validate(string yaml)
    {
        var parsed = IstioYamlParser.Parse(yaml, "rules.yaml");
        Assert.True(parsed.IsValid, "parse errors:\n" + string.Join("\n", parsed.Errors));
        return IstioResourceValidator.Validate(parsed.Resources);
    }

    /// <summary>Asserts one error at <paramref name="field"/> containing <paramref name="message"/>.</summary>
    public static ConfigError SingleError(string yaml, string field, string message)
    {
        var result = Validate(yaml);
        var error = Assert.Single(result.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        return error;
    }

    public static string VirtualService(string http, string hosts = "[reviews]") => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{name: reviews}"}
        spec:
          hosts: {hosts}
          http:
        {Indent(http, 2)}
        """;

    public static string Indent(string text, int spaces) =>
        string.Join("\n", text.Split('\n').Select(line => new string(' ', spaces) + line));
}
