using Microsoft.Extensions.Primitives;

namespace Sidecar.Bookinfo.Hosting;

/// <summary>Stamps every response with <c>x-bookinfo-workload: name-version</c>, so a caller sees who answered.</summary>
internal static class WorkloadHeader
{
    public const string Name = "x-bookinfo-workload";

    public static IApplicationBuilder UseWorkloadHeader(this IApplicationBuilder app, string workload)
    {
        ArgumentNullException.ThrowIfNull(app);
        var value = new StringValues(workload);
        return app.Use(next => context =>
        {
            context.Response.Headers[Name] = value;
            return next(context);
        });
    }
}
