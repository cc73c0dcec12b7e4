namespace Sidecar.Bookinfo.Contracts;

/// <summary>An error answer, e.g. <c>{"error":"Sorry, product details are currently unavailable for this book."}</c>.</summary>
internal sealed record ServiceError(string Error);
