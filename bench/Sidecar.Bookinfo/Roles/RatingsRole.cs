using System.Globalization;
using Sidecar.Bookinfo.Catalog;
using Sidecar.Bookinfo.Contracts;

namespace Sidecar.Bookinfo.Roles;

/// <summary>The ratings service (Istio's ratings.js, v1): fixed stars per reviewer.</summary>
internal static class RatingsRole
{
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health", static () => Results.Json(new ServiceStatus("Ratings is healthy"), BookinfoJsonContext.Default.ServiceStatus));
        app.MapGet("/ratings/{id}", GetRatings);
    }

    private static IResult GetRatings(string id) =>
        int.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var productId)
            ? Results.Json(new ProductRatings(productId, BookCatalog.Ratings), BookinfoJsonContext.Default.ProductRatings)
            : Results.Json(
                new ServiceError("please provide numeric product ID"),
                BookinfoJsonContext.Default.ServiceError,
                statusCode: StatusCodes.Status400BadRequest);
}
