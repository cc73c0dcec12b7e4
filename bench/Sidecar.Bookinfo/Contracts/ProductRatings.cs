using System.Text.Json.Serialization;

namespace Sidecar.Bookinfo.Contracts;

/// <summary>The ratings service's answer: <c>{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}</c>.</summary>
internal sealed record ProductRatings(int Id, ReviewerRatings Ratings);

/// <summary>Stars per reviewer, keyed by the reviewer's name exactly as ratings.js spells it.</summary>
internal sealed record ReviewerRatings(
    [property: JsonPropertyName("Reviewer1")] int Reviewer1,
    [property: JsonPropertyName("Reviewer2")] int Reviewer2);
