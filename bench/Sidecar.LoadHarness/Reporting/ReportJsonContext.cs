using System.Text.Json.Serialization;

namespace Sidecar.LoadHarness.Reporting;

/// <summary>Source-generated JSON for <see cref="LoadReport"/> (<c>--json out.json</c>); written, never read back.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(LoadReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
