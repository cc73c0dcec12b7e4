using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Sidecar.Xds.Client;

/// <summary>
/// Delta (incremental) ADS (<c>DeltaAggregatedResources</c>), Istio's default: a response adds, replaces or removes
/// resources by name, each with its own version; an ACK or NACK echoes only the nonce; endpoints and route tables are
/// subscribed to and unsubscribed from by name, in requests of their own without a nonce (istiod reads a request
/// with a nonce and new names as a mistake); a new stream tells istiod the versions held
/// (<c>initial_resource_versions</c>), so it resumes where the last one ended.
/// </summary>
public sealed partial class AdsClient
{
    private async Task<bool> RunDeltaStreamAsync(Metadata headers, CancellationToken cancellationToken)
    {
        using var call = _client.DeltaAggregatedResources(headers, cancellationToken: cancellationToken);
        return await ServeAsync(call, DeltaOpening(), Handle, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A new stream's first requests: every type held or wildcard, with the versions of what is held.</summary>
    private IEnumerable<DeltaDiscoveryRequest> DeltaOpening()
    {
        var node = NodeBuilder.Build(_options);
        foreach (var typeUrl in _subscriptionOrder)
        {
            var subscription = _subscriptions[typeUrl];
            subscription.Nonce = "";
            var wildcard = XdsTypeUrls.IsWildcard(typeUrl);
            if (!wildcard && subscription.Names.Count == 0)
            {
                continue;
            }

            // A wildcard type subscribes to no names: istiod then sends every resource of it the proxy may use.
            var request = new DeltaDiscoveryRequest { TypeUrl = typeUrl, Node = node };
            node = null;
            if (!wildcard)
            {
                request.ResourceNamesSubscribe.AddRange(subscription.Names);
            }

            request.InitialResourceVersions.Add(subscription.ResourceVersions);
            yield return request;
        }
    }

    /// <summary>The ACK or NACK of <paramref name="response"/>, then any change of subscription it calls for.</summary>
    private List<DeltaDiscoveryRequest> Handle(DeltaDiscoveryResponse response)
    {
        if (!_subscriptions.TryGetValue(response.TypeUrl, out var subscription))
        {
            Log.UnknownType(_logger, response.TypeUrl);
            return [];
        }

        subscription.Nonce = response.Nonce;
        var bodies = new Google.Protobuf.WellKnownTypes.Any?[response.Resources.Count];
        var removed = new List<string>(response.RemovedResources);
        for (var i = 0; i < bodies.Length; i++)
        {
            bodies[i] = response.Resources[i].Resource_;
            if (bodies[i] is null)
            {
                // A name without a body: the resource does not exist (xDS's on-demand answer).
                removed.Add(response.Resources[i].Name);
            }
        }

        var errors = new Translation.TranslationErrors();
        var candidate = _accepted.Apply(response.TypeUrl, bodies, removed, replaceType: false, errors);
        if (Accept(response.TypeUrl, response.SystemVersionInfo, candidate, errors) is { } refusal)
        {
            return [new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce, ErrorDetail = ErrorDetail(refusal) }];
        }

        foreach (var name in removed)
        {
            subscription.ResourceVersions.Remove(name);
        }

        foreach (var resource in response.Resources)
        {
            if (resource.Resource_ is not null && resource.Name.Length > 0)
            {
                subscription.ResourceVersions[resource.Name] = resource.Version;
            }
        }

        var requests = new List<DeltaDiscoveryRequest> { new() { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce } };
        if (DependentSubscription(response.TypeUrl, candidate) is { } dependent)
        {
            var (added, dropped) = Resubscribe(dependent.TypeUrl, dependent.Names);
            requests.Add(new DeltaDiscoveryRequest { TypeUrl = dependent.TypeUrl, ResourceNamesSubscribe = { added }, ResourceNamesUnsubscribe = { dropped } });
        }

        return requests;
    }
}
