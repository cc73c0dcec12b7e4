namespace Sidecar.LoadHarness.Transport;

/// <summary>Sends the scenario's request and reads the whole response, one request at a time per instance.</summary>
internal interface IRequestSender : IDisposable
{
    /// <summary>
    /// Sends one request and reads its response to the end. Failures throw: <see cref="HttpRequestException"/> (with
    /// its <see cref="HttpRequestError"/>), <see cref="IOException"/>, or <see cref="OperationCanceledException"/>.
    /// </summary>
    ValueTask<ResponseSummary> SendAsync(CancellationToken cancellationToken);
}

/// <summary>What a load test keeps of a response: its status and how many body bytes it carried.</summary>
internal readonly record struct ResponseSummary(int Status, long BodyBytes);
