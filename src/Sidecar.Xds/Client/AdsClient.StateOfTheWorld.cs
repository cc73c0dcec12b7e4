using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Sidecar.Xds.Client;

/// <summary>
/// State-of-the-world ADS (<c>StreamAggregatedResources</c>): every response holds all of its type's resources
/// (endpoints and route tables: those asked for by name); a request acknowledges a version and nonce and names what
/// it wants.
/// </summary>
public sealed partial class AdsClient
{
    private async Task<bool> RunStateOfTheWorldStreamAsync(Metadata headers, CancellationToken cancellationToken)
    {
        using var call = _client.StreamAggregatedResources(headers, cancellationToken: cancellationToken);
        return await ServeAsync(call, StateOfTheWorldOpening(), Handle, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A new stream's first requests: every type held or wildcard, with its version and names (no nonce).</summary>
    private IEnumerable<DiscoveryRequest> StateOfTheWorldOpening()
    {
        var node = NodeBuilder.Build(_options);
        foreach (var typeUrl in _subscriptionOrder)
        {
            var subscription = _subscriptions[typeUrl];
            // Nonces belong to a stream; versions and names carry over, so istiod can skip what is unchanged.
            subscription.Nonce = "";
            if (XdsTypeUrls.IsWildcard(typeUrl) || subscription.Names.Count > 0)
            {
                var request = Request(typeUrl);
                request.Node = node;
                node = null;
                yield return request;
            }
        }
    }

    /// <summary>The ACK or NACK of <paramref name="response"/>, then any new subscription it calls for.</summary>
    private List<DiscoveryRequest> Handle(DiscoveryResponse response)
    {
        if (!_subscriptions.TryGetValue(response.TypeUrl, out var subscription))
        {
            Log.UnknownType(_logger, response.TypeUrl);
            return [];
        }

        subscription.Nonce = response.Nonce;
        var errors = new Translation.TranslationErrors();
        var candidate = _accepted.Apply(response.TypeUrl, response.Resources, [], replaceType: XdsTypeUrls.IsWildcard(response.TypeUrl), errors);
        if (Accept(response.TypeUrl, response.VersionInfo, candidate, errors) is { } refusal)
        {
            // The NACK names the version still held, with the refused response's nonce.
            var nack = Request(response.TypeUrl);
            nack.ErrorDetail = ErrorDetail(refusal);
            return [nack];
        }

        var requests = new List<DiscoveryRequest> { Request(response.TypeUrl) };
        if (DependentSubscription(response.TypeUrl, candidate) is { } dependent)
        {
            Resubscribe(dependent.TypeUrl, dependent.Names);
            requests.Add(Request(dependent.TypeUrl));
        }

        return requests;
    }

    /// <summary>The request for <paramref name="typeUrl"/> that acknowledges what is held: version, nonce, names.</summary>
    private DiscoveryRequest Request(string typeUrl)
    {
        var subscription = _subscriptions[typeUrl];
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = subscription.Version, ResponseNonce = subscription.Nonce };
        if (!XdsTypeUrls.IsWildcard(typeUrl))
        {
            request.ResourceNames.AddRange(subscription.Names);
        }

        return request;
    }
}
