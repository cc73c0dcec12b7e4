using System.Globalization;
using System.Text.Json;
using Sidecar.Bookinfo.Catalog;
using Sidecar.Bookinfo.Contracts;
using Sidecar.Bookinfo.Outbound;

namespace Sidecar.Bookinfo.Roles;

/// <summary>
/// The product page (Istio's productpage.py): an HTML page built from details and reviews, the JSON API behind it,
/// and a cookie login whose user becomes the <c>end-user</c> header on outbound calls.
/// </summary>
internal sealed class ProductPageRole
{
    private const string DetailsUnavailable = "Sorry, product details are currently unavailable for this book.";
    private const string ReviewsUnavailable = "Sorry, product reviews are currently unavailable for this book.";
    private const string RatingsUnavailable = "Sorry, product ratings are currently unavailable for this book.";

    // productpage.py: 3 s per call, and reviews tried twice ("bug introduced explicitly for illustration in the
    // fault injection task"), so a 7 s ratings delay surfaces as an unavailable-reviews page after 6 s.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);
    private const int ReviewsAttempts = 2;

    private readonly ServiceClient _services;

    public ProductPageRole(ServiceClient services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
    }

    public void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", static () => Results.Content(ProductPageHtml.Index, "text/html; charset=utf-8"));
        app.MapGet("/index.html", static () => Results.Content(ProductPageHtml.Index, "text/html; charset=utf-8"));
        app.MapGet("/health", static () => Results.Text("Product page is healthy"));
        app.MapPost("/login", LoginAsync);
        app.MapGet("/logout", Logout);
        app.MapGet("/productpage", FrontAsync);
        app.MapGet("/api/v1/products", static () => Results.Json(BookCatalog.Products, BookinfoJsonContext.Default.ProductArray));
        app.MapGet("/api/v1/products/{id}", ProductAsync);
        app.MapGet("/api/v1/products/{id}/reviews", ProductReviewsAsync);
        app.MapGet("/api/v1/products/{id}/ratings", ProductRatingsAsync);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var form = await context.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        var user = form["username"].ToString();
        context.Response.Cookies.Append(PropagatedHeaders.UserCookie, user);
        return Results.Redirect(RefererOrProductPage(context));
    }

    private static IResult Logout(HttpContext context)
    {
        context.Response.Cookies.Delete(PropagatedHeaders.UserCookie);
        return Results.Redirect(RefererOrProductPage(context));
    }

    private async Task<IResult> FrontAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var product = BookCatalog.Products[BookCatalog.ProductId];
        var id = BookCatalog.ProductId.ToString(CultureInfo.InvariantCulture);
        var details = await GetDetailsAsync(id, request, cancellationToken).ConfigureAwait(false);
        var reviews = await GetReviewsAsync(id, request, cancellationToken).ConfigureAwait(false);
        request.Cookies.TryGetValue(PropagatedHeaders.UserCookie, out var user);

        BookDetails? bookDetails = details.IsSuccess ? TryRead(details.Body, BookinfoJsonContext.Default.BookDetails) : null;
        BookReviews? bookReviews = reviews.IsSuccess ? TryRead(reviews.Body, BookinfoJsonContext.Default.BookReviews) : null;
        var html = ProductPageHtml.Render(
            product,
            bookDetails,
            bookDetails is null ? DetailsUnavailable : null,
            bookReviews,
            bookReviews is null ? ReviewsUnavailable : null,
            reviews.Workload ?? bookReviews?.Podname,
            user);
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private async Task<IResult> ProductAsync(string id, HttpRequest request, CancellationToken cancellationToken) =>
        Relay(await GetDetailsAsync(id, request, cancellationToken).ConfigureAwait(false), DetailsUnavailable);

    private async Task<IResult> ProductReviewsAsync(string id, HttpRequest request, CancellationToken cancellationToken) =>
        Relay(await GetReviewsAsync(id, request, cancellationToken).ConfigureAwait(false), ReviewsUnavailable);

    private async Task<IResult> ProductRatingsAsync(string id, HttpRequest request, CancellationToken cancellationToken) =>
        Relay(
            await _services.GetAsync(BookinfoService.Ratings, "/ratings/" + Uri.EscapeDataString(id), request, CallTimeout, cancellationToken)
                .ConfigureAwait(false),
            RatingsUnavailable);

    private Task<ServiceResponse> GetDetailsAsync(string id, HttpRequest request, CancellationToken cancellationToken) =>
        _services.GetAsync(BookinfoService.Details, "/details/" + Uri.EscapeDataString(id), request, CallTimeout, cancellationToken);

    private async Task<ServiceResponse> GetReviewsAsync(string id, HttpRequest request, CancellationToken cancellationToken)
    {
        var response = ServiceResponse.NoResponse;
        for (var attempt = 0; attempt < ReviewsAttempts; attempt++)
        {
            response = await _services.GetAsync(
                BookinfoService.Reviews,
                "/reviews/" + Uri.EscapeDataString(id),
                request,
                CallTimeout,
                cancellationToken).ConfigureAwait(false);
            if (response.IsSuccess)
            {
                break;
            }
        }

        return response;
    }

    /// <summary>The API passes a service's JSON through, or its status with productpage's error text (500 when none came).</summary>
    private static IResult Relay(ServiceResponse response, string unavailable)
    {
        if (response.IsSuccess)
        {
            return Results.Bytes(response.Body, "application/json");
        }

        return Results.Json(
            new ServiceError(unavailable),
            BookinfoJsonContext.Default.ServiceError,
            statusCode: response.Status == 0 ? StatusCodes.Status500InternalServerError : response.Status);
    }

    private static T? TryRead<T>(byte[] body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string RefererOrProductPage(HttpContext context)
    {
        var referer = context.Request.Headers.Referer.ToString();
        return Uri.TryCreate(referer, UriKind.Absolute, out var uri) ? uri.PathAndQuery : "/productpage";
    }
}
