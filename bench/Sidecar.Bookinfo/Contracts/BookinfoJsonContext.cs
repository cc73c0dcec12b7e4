using System.Text.Json.Serialization;

namespace Sidecar.Bookinfo.Contracts;

/// <summary>Source-generated JSON for every body bookinfo reads or writes (no reflection: NativeAOT).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProductRatings))]
[JsonSerializable(typeof(BookDetails))]
[JsonSerializable(typeof(BookReviews))]
[JsonSerializable(typeof(Product[]))]
[JsonSerializable(typeof(ServiceStatus))]
[JsonSerializable(typeof(ServiceError))]
[JsonSerializable(typeof(EchoReply))]
internal sealed partial class BookinfoJsonContext : JsonSerializerContext;
