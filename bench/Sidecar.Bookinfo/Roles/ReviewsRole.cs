using System.Globalization;
using System.Text.Json;
using Sidecar.Bookinfo.Catalog;
using Sidecar.Bookinfo.Contracts;
using Sidecar.Bookinfo.Hosting;
using Sidecar.Bookinfo.Outbound;

namespace Sidecar.Bookinfo.Roles;

/// <summary>
/// The reviews service (Istio's LibertyRestEndpoint): v1 answers without ratings; v2 calls ratings and shows black
/// stars, v3 red stars. Any other version behaves as v1.
/// </summary>
internal sealed class ReviewsRole
{
    private const string RatingsUnavailable = "Ratings service is currently unavailable";

    private readonly ServiceClient _services;
    private readonly string _podName;
    private readonly string? _clusterName;
    private readonly string? _starColor;
    private readonly TimeSpan _ratingsTimeout;

    public ReviewsRole(WorkloadOptions options, ServiceClient services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        _podName = options.Workload;
        _clusterName = Environment.GetEnvironmentVariable("CLUSTER_NAME");
        (_starColor, _ratingsTimeout) = options.Version switch
        {
            // Istio's reviews waits 10 s for ratings with black stars and 2.5 s with red ones; the task
            // "fault injection" relies on these hard-coded timeouts.
            "v2" => ("black", TimeSpan.FromSeconds(10)),
            "v3" => ("red", TimeSpan.FromSeconds(2.5)),
            _ => ((string?)null, TimeSpan.Zero),
        };
    }

    public bool RatingsEnabled => _starColor is not null;

    public void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health", static () => Results.Json(new ServiceStatus("Reviews is healthy"), BookinfoJsonContext.Default.ServiceStatus));
        app.MapGet("/reviews/{id}", GetReviewsAsync);
    }

    private async Task<IResult> GetReviewsAsync(string id, HttpContext context)
    {
        if (!int.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var productId))
        {
            return Results.Json(
                new ServiceError("please provide numeric product id"),
                BookinfoJsonContext.Default.ServiceError,
                statusCode: StatusCodes.Status400BadRequest);
        }

        ReviewRating? rating1 = null;
        ReviewRating? rating2 = null;
        if (_starColor is not null)
        {
            var ratings = await GetRatingsAsync(productId, context).ConfigureAwait(false);
            rating1 = ratings is null ? new ReviewRating(null, null, RatingsUnavailable) : new ReviewRating(ratings.Reviewer1, _starColor, null);
            rating2 = ratings is null ? new ReviewRating(null, null, RatingsUnavailable) : new ReviewRating(ratings.Reviewer2, _starColor, null);
        }

        var reviews = new BookReviews(
            productId.ToString(CultureInfo.InvariantCulture),
            _podName,
            _clusterName,
            [
                new Review(BookCatalog.Reviewer1, BookCatalog.Reviewer1Text, rating1),
                new Review(BookCatalog.Reviewer2, BookCatalog.Reviewer2Text, rating2),
            ]);
        return Results.Json(reviews, BookinfoJsonContext.Default.BookReviews);
    }

    private async Task<ReviewerRatings?> GetRatingsAsync(int productId, HttpContext context)
    {
        var response = await _services.GetAsync(
            BookinfoService.Ratings,
            "/ratings/" + productId.ToString(CultureInfo.InvariantCulture),
            context.Request,
            _ratingsTimeout,
            context.RequestAborted).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(response.Body, BookinfoJsonContext.Default.ProductRatings)?.Ratings;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
