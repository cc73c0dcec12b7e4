namespace Sidecar.Bookinfo.Contracts;

/// <summary>The reviews service's answer: the product id as a string, who served it, and the reviews.</summary>
internal sealed record BookReviews(string Id, string? Podname, string? Clustername, IReadOnlyList<Review> Reviews);

/// <summary>One review; <see cref="Rating"/> is absent in reviews v1.</summary>
internal sealed record Review(string Reviewer, string Text, ReviewRating? Rating);

/// <summary>Stars and their colour (v2 black, v3 red), or an error when ratings could not be reached.</summary>
internal sealed record ReviewRating(int? Stars, string? Color, string? Error);
