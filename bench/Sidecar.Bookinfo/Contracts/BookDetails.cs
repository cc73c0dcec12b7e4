using System.Text.Json.Serialization;

namespace Sidecar.Bookinfo.Contracts;

/// <summary>The details service's answer for one book, field for field as details.rb writes it.</summary>
internal sealed record BookDetails(
    int Id,
    string Author,
    int Year,
    string Type,
    int Pages,
    string Publisher,
    string Language,
    [property: JsonPropertyName("ISBN-10")] string Isbn10,
    [property: JsonPropertyName("ISBN-13")] string Isbn13);
