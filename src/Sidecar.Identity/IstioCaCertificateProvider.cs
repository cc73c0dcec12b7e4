using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Sidecar.Identity.IstioCa;

namespace Sidecar.Identity;

/// <summary>
/// Istio's CA client, as pilot-agent calls it: a CSR (URI SAN = the SPIFFE id, RSA 2048 or ECDSA P-256) sent to
/// <c>istio.v1.auth.IstioCertificateService/CreateCertificate</c> with the service-account JWT as a Bearer token and
/// the <c>ClusterID</c> header, over TLS verified against istiod's root. The answer is the chain leaf first, root last;
/// a chain of one (no root) is refused.
/// </summary>
public sealed class IstioCaCertificateProvider : ICertificateProvider, IDisposable
{
    private readonly IstioCaOptions _options;
    private readonly GrpcChannel _channel;
    private readonly IstioCertificateService.IstioCertificateServiceClient _client;

    public IstioCaCertificateProvider(IstioCaOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Description = $"Istio CA {options.Address}";
        _channel = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions { HttpHandler = handler ?? CreateHandler(options) });
        _client = new IstioCertificateService.IstioCertificateServiceClient(_channel);
    }

    public string Description { get; }

    public async Task<WorkloadCertificate> FetchAsync(CancellationToken cancellationToken)
    {
        using var key = KeyAlgorithms.CreateKey(_options.KeyAlgorithm);
        var request = new IstioCertificateRequest
        {
            Csr = CertificateIssuer.CreateSigningRequestPem(key, _options.SpiffeId),
            ValidityDuration = (long)_options.Lifetime.TotalSeconds,
        };
        var headers = new Metadata { { "ClusterID", _options.ClusterId } };
        var token = await ReadTokenAsync(cancellationToken).ConfigureAwait(false);
        if (token is not null)
        {
            headers.Add("authorization", $"Bearer {token}");
        }

        var response = await _client.CreateCertificateAsync(request, headers, cancellationToken: cancellationToken).ConfigureAwait(false);
        return FromChain(response.CertChain, key, _options.SpiffeId);
    }

    public void Dispose() => _channel.Dispose();

    /// <summary>Turns the CA's answer into a workload certificate: leaf first, intermediates, root last.</summary>
    internal static WorkloadCertificate FromChain(IReadOnlyList<string> pems, System.Security.Cryptography.AsymmetricAlgorithm key, string spiffeId)
    {
        var chain = new X509Certificate2Collection();
        foreach (var pem in pems)
        {
            chain.ImportFromPem(pem);
        }

        if (chain.Count < 2)
        {
            throw new InvalidDataException($"the CA returned a certificate chain of {chain.Count}; a leaf and its root are required");
        }

        using var withKey = CertificateIssuer.WithKey(chain[0], key);
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        if (!SpiffeIds.Read(leaf).Contains(spiffeId))
        {
            throw new InvalidDataException($"the CA's certificate does not carry {spiffeId}");
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count - 1; i++)
        {
            intermediates.Add(chain[i]);
        }

        return new WorkloadCertificate(leaf, intermediates, [chain[^1]]);
    }

    private Task<string?> ReadTokenAsync(CancellationToken cancellationToken) =>
        IstiodConnection.ReadTokenAsync(_options.Token, _options.TokenPath, cancellationToken);

    private static SocketsHttpHandler CreateHandler(IstioCaOptions options) =>
        IstiodConnection.CreateHandler(options.RootCertificatePath, options.ServerName);
}
