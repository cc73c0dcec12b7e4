namespace Sidecar.Bookinfo.Contracts;

/// <summary>A product as productpage lists it at <c>/api/v1/products</c>.</summary>
internal sealed record Product(int Id, string Title, string DescriptionHtml);
