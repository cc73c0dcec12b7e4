using System.Globalization;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Validation;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>Istio's retry translation (<c>pilot/pkg/networking/core/route/retry</c>).</summary>
internal static class RetryPolicies
{
    /// <summary>Istio's default: 2 retries on <c>connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes</c>
    /// with 503 retriable, the <c>previous_hosts</c> predicate (dropped under consistent hashing) and 5 host selection attempts.</summary>
    public static RetryPolicyConfig Default(bool consistentHash) => new()
    {
        NumRetries = 2,
        RetryOn = RetryOn.ConnectFailure | RetryOn.RefusedStream | RetryOn.GrpcUnavailable | RetryOn.GrpcCancelled | RetryOn.RetriableStatusCodes,
        RetriableStatusCodes = [503],
        RetryOtherHosts = !consistentHash,
        HostSelectionRetryMaxAttempts = 5,
    };

    /// <summary>Inbound routes retry only resets before the request was sent, twice (not for gRPC).</summary>
    public static RetryPolicyConfig Inbound { get; } = new()
    {
        NumRetries = 2,
        RetryOn = RetryOn.ResetBeforeRequest,
        RetryOtherHosts = false,
        HostSelectionRetryMaxAttempts = 1,
    };

    /// <summary>Istio's <c>ConvertPolicy</c>: null input gives the default; <c>attempts</c> &lt;= 0 disables retries.</summary>
    public static RetryPolicyConfig? Convert(HttpRetry? retry, bool consistentHash)
    {
        var policy = Default(consistentHash);
        if (retry is null)
        {
            return policy;
        }

        if (retry.Attempts <= 0)
        {
            return null;
        }

        policy = policy with { NumRetries = retry.Attempts };
        if (!string.IsNullOrEmpty(retry.RetryOn))
        {
            var (flags, codes) = ParseRetryOn(retry.RetryOn);
            if (codes.Count > 0)
            {
                flags |= RetryOn.RetriableStatusCodes;
            }

            policy = policy with { RetryOn = flags, RetriableStatusCodes = codes.ToEquatableArray() };
        }

        if (retry.PerTryTimeout is { } perTry)
        {
            policy = policy with { PerTryTimeout = perTry.ToTimeSpan() };
        }

        if (retry.RetryIgnorePreviousHosts is { } ignorePrevious)
        {
            policy = policy with { RetryOtherHosts = ignorePrevious };
        }

        if (retry.RetryRemoteLocalities == true)
        {
            policy = policy with { RetryOtherPriorities = true };
        }

        if (retry.Backoff is { } backoff)
        {
            policy = policy with { BackoffBaseInterval = backoff.ToTimeSpan() };
        }

        return policy;
    }

    /// <summary>Splits <c>retryOn</c> into Envoy's conditions and numeric status codes (Istio's <c>parseRetryOn</c>).</summary>
    public static (RetryOn Flags, List<int> Codes) ParseRetryOn(string retryOn)
    {
        var flags = RetryOn.None;
        var codes = new List<int>();
        foreach (var raw in retryOn.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && HttpStatusCodes.IsKnown(code))
            {
                codes.Add(code);
                continue;
            }

            flags |= RetryOnNames.Parse(part);
        }

        return (flags, codes);
    }
}
