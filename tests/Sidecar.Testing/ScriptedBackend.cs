using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Testing;

/// <summary>
/// A backend handler whose behaviour each request chooses through headers, so many tests can share one backend
/// without sharing state: counters are kept per <c>x-test-id</c>.
/// <list type="bullet">
/// <item><c>x-fail-first: N</c> (+ <c>x-fail-status</c>, default 503): the first N requests of the test id fail.</item>
/// <item><c>x-stall-first: N</c>: the first N requests of the test id never answer (until the caller gives up).</item>
/// <item><c>x-delay-ms: N</c>: answer after N ms.</item>
/// </list>
/// Otherwise it answers 200 with the backend's name.
/// </summary>
public static class ScriptedBackend
{
    public static Func<HttpContext, ReceivedRequest, Task> Handler(string name)
    {
        var counters = new ConcurrentDictionary<string, int>();
        return async (context, received) =>
        {
            var headers = context.Request.Headers;
            var id = headers["x-test-id"].ToString();
            var seen = counters.AddOrUpdate(id, 1, (_, n) => n + 1);
            if (int.TryParse(headers["x-stall-first"], out var stalls) && seen <= stalls)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            if (int.TryParse(headers["x-fail-first"], out var failures) && seen <= failures)
            {
                context.Response.StatusCode = int.TryParse(headers["x-fail-status"], out var status) ? status : 503;
                await context.Response.WriteAsync($"{name} failing");
                return;
            }

            if (int.TryParse(headers["x-delay-ms"], out var delay))
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            await context.Response.WriteAsync(name);
        };
    }

    /// <summary>How many requests with <paramref name="testId"/> the backend received.</summary>
    public static int CountFor(this TestBackend backend, string testId) =>
        backend.Received.Count(r => r.Headers.TryGetValue("x-test-id", out var id) && id == testId);
}
