namespace Sidecar.Bookinfo.Hosting;

/// <summary>Which bookinfo workload this process plays.</summary>
internal enum WorkloadRole
{
    /// <summary>The front page: calls details and reviews (Istio's Python productpage).</summary>
    ProductPage,

    /// <summary>Book details (Istio's Ruby details service).</summary>
    Details,

    /// <summary>Book reviews; v2 and v3 call ratings (Istio's Java reviews service).</summary>
    Reviews,

    /// <summary>Star ratings (Istio's Node.js ratings service).</summary>
    Ratings,

    /// <summary>Answers any request with what it received, or with a fixed-size body for load tests.</summary>
    Echo,
}
