namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Sends each request to an endpoint the cluster's balancer picks, over the cluster's pool (and its TLS), counting it
/// on the endpoint: the transport for the sidecar's own calls to a mesh service (the ext_authz checks). The request's
/// authority is a placeholder; its path and query are kept.
/// </summary>
internal sealed class ClusterMessageHandler(ClusterState cluster, Random random) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var endpoint = cluster.PickEndpoint(null, random) ?? throw new HttpRequestException($"no healthy upstream in {cluster.Name}");
        request.RequestUri = new Uri(endpoint.DestinationPrefix + request.RequestUri!.PathAndQuery);
        endpoint.BeginRequest();
        var failed = true;
        try
        {
            var response = await cluster.Invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
            failed = (int)response.StatusCode >= 500;
            return response;
        }
        finally
        {
            endpoint.EndRequest(failed, connectFailure: false);
        }
    }
}
