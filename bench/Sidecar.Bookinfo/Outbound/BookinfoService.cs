namespace Sidecar.Bookinfo.Outbound;

/// <summary>A service another workload calls, by its Kubernetes short name and port, as bookinfo addresses them.</summary>
internal sealed class BookinfoService
{
    public static readonly BookinfoService Details = new("details", 9080);

    public static readonly BookinfoService Reviews = new("reviews", 9080);

    public static readonly BookinfoService Ratings = new("ratings", 9080);

    private BookinfoService(string name, int port)
    {
        Name = name;
        Authority = name + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        DirectUri = new Uri("http://" + Authority + "/");
    }

    /// <summary>The short host name, e.g. <c>reviews</c>.</summary>
    public string Name { get; }

    /// <summary>The Host header a sidecar routes on, e.g. <c>reviews:9080</c>.</summary>
    public string Authority { get; }

    /// <summary>Where to connect when no upstream is set: the name itself, resolved in the pod's network.</summary>
    public Uri DirectUri { get; }
}
