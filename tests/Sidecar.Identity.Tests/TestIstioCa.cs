using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecar.Identity.IstioCa;

namespace Sidecar.Identity.Tests;

/// <summary>
/// An in-test Istio CA, as istiod serves it: gRPC over TLS (its own serving certificate under a test root), checks
/// the Bearer JWT and the ClusterID header, signs the CSR with the test root for the requested validity and answers
/// the chain leaf first, root last (or, when told, a chain of one, which a client must refuse).
/// </summary>
internal sealed class TestIstioCa : IAsyncDisposable
{
    public const string Token = "test-jwt";
    private readonly WebApplication _app;

    private TestIstioCa(WebApplication app, X509Certificate2 root, string rootPath)
    {
        _app = app;
        Root = root;
        RootPath = rootPath;
    }

    public X509Certificate2 Root { get; }

    /// <summary>The root as a PEM file, as <c>/var/run/secrets/istio/root-cert.pem</c> holds it.</summary>
    public string RootPath { get; }

    public Uri Address { get; private set; } = null!;

    public ConcurrentQueue<(IstioCertificateRequest Request, Metadata Headers)> Requests { get; } = new();

    /// <summary>Answer with the leaf alone (a broken CA).</summary>
    public bool ChainOfOne { get; set; }

    public static async Task<TestIstioCa> StartAsync()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("O=cluster.local", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        // One clock reading: the serving certificate must not outlive the root, even by the millisecond between two reads.
        var now = DateTimeOffset.UtcNow;
        var root = rootRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        var rootPath = Path.Combine(Directory.CreateTempSubdirectory("istiod-root-").FullName, "root-cert.pem");
        await File.WriteAllTextAsync(rootPath, root.ExportCertificatePem());

        using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var servingRequest = new CertificateRequest("CN=istiod", servingKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("istiod.istio-system.svc");
        san.AddIpAddress(IPAddress.Loopback);
        servingRequest.CertificateExtensions.Add(san.Build());
        servingRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var servingSigned = servingRequest.Create(root, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4]);
        using var servingWithKey = servingSigned.CopyWithPrivateKey(servingKey);
        var serving = X509CertificateLoader.LoadPkcs12(servingWithKey.Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<ServiceHolder>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(serving);
        }));
        var app = builder.Build();
        var ca = new TestIstioCa(app, root, rootPath);
        app.Services.GetRequiredService<ServiceHolder>().Ca = ca;
        app.MapGrpcService<Service>();
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        ca.Address = new Uri($"https://127.0.0.1:{bound.Port}");
        return ca;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        File.Delete(RootPath);
    }

    private IstioCertificateResponse Sign(IstioCertificateRequest request, ServerCallContext context)
    {
        Requests.Enqueue((request, context.RequestHeaders));
        // istiod authenticates the caller by its service-account token.
        if (context.RequestHeaders.GetValue("authorization") != $"Bearer {Token}")
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "request authenticate failure"));
        }

        var csr = CertificateRequest.LoadSigningRequestPem(request.Csr, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var now = DateTimeOffset.UtcNow;
        using var rootKey = Root.GetECDsaPrivateKey()!;
        var leaf = csr.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), now.AddSeconds(-1), now.AddSeconds(request.ValidityDuration), RandomNumberGenerator.GetBytes(8));
        var response = new IstioCertificateResponse();
        response.CertChain.Add(leaf.ExportCertificatePem());
        if (!ChainOfOne)
        {
            response.CertChain.Add(Root.ExportCertificatePem());
        }

        return response;
    }

    /// <summary>Lets the gRPC service (created by the framework) reach the test's CA.</summary>
    private sealed class ServiceHolder
    {
        public TestIstioCa? Ca { get; set; }
    }

    private sealed class Service(ServiceHolder holder) : IstioCertificateService.IstioCertificateServiceBase
    {
        public override Task<IstioCertificateResponse> CreateCertificate(IstioCertificateRequest request, ServerCallContext context) =>
            Task.FromResult(holder.Ca!.Sign(request, context));
    }
}
