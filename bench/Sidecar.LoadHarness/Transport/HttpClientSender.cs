using System.Runtime.CompilerServices;
using Sidecar.LoadHarness.Running;

namespace Sidecar.LoadHarness.Transport;

/// <summary>
/// Sends through a SocketsHttpHandler: used for HTTP/2 (h2c), where several senders share one connection and the
/// handler multiplexes their streams. HttpClient refuses to send a message twice, so each request is a new message;
/// the body and read buffer are this sender's and reused.
/// </summary>
internal sealed class HttpClientSender : IRequestSender
{
    private const int ReadBufferBytes = 16 * 1024;

    private readonly HttpMessageInvoker _connection;
    private readonly RequestTemplate _template;
    private readonly HttpContent? _content;
    private readonly byte[] _buffer = new byte[ReadBufferBytes];

    public HttpClientSender(HttpMessageInvoker connection, RequestTemplate template)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(template);
        _connection = connection;
        _template = template;
        _content = template.CreateContent();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseSummary> SendAsync(CancellationToken cancellationToken)
    {
        // Never disposed: disposing the message would dispose the body this sender reuses.
        var request = _template.CreateRequest(_content);
        using var response = await _connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        int read;
        while ((read = await body.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            bytes += read;
        }

        return new ResponseSummary((int)response.StatusCode, bytes);
    }

    public void Dispose() => _content?.Dispose();
}
