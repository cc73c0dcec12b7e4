using System.Globalization;
using Sidecar.Bookinfo.Catalog;
using Sidecar.Bookinfo.Contracts;

namespace Sidecar.Bookinfo.Roles;

/// <summary>The details service (Istio's details.rb): the book's publication details.</summary>
internal static class DetailsRole
{
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health", static () => Results.Json(new ServiceStatus("Details is healthy"), BookinfoJsonContext.Default.ServiceStatus));
        app.MapGet("/details/{id}", GetDetails);
    }

    private static IResult GetDetails(string id) =>
        int.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var productId)
            ? Results.Json(BookCatalog.Details(productId), BookinfoJsonContext.Default.BookDetails)
            : Results.Json(
                new ServiceError("please provide numeric product id"),
                BookinfoJsonContext.Default.ServiceError,
                statusCode: StatusCodes.Status400BadRequest);
}
