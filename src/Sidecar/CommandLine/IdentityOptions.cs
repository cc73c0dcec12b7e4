using System.CommandLine;
using Sidecar.Hosting;
using Sidecar.Identity;
using Sidecar.Istio.Resources;

namespace Sidecar.CommandLine;

/// <summary>The identity flags of <c>run</c>, with Istio's env vars as fallbacks (CA_ADDR, SECRET_TTL, ECC_SIGNATURE_ALGORITHM).</summary>
internal sealed class IdentityOptions
{
    /// <summary>Istio's default paths in a pod.</summary>
    public const string DefaultCaRoot = "/var/run/secrets/istio/root-cert.pem";
    public const string DefaultTokenPath = "/var/run/secrets/tokens/istio-token";

    private readonly Option<string?> _caDir = new("--ca-dir") { Description = "Standalone local CA: a directory shared by the sidecars of this machine; a root is generated there once (or given as ca-cert.pem/ca-key.pem)." };
    private readonly Option<string?> _caAddress = new("--ca-address") { Description = "Istio's CA, e.g. https://istiod.istio-system.svc:15012 [env CA_ADDR]." };
    private readonly Option<string?> _caRoot = new("--ca-root") { Description = $"istiod's root certificate for the CA's TLS [default: {DefaultCaRoot} when present]." };
    private readonly Option<string?> _token = new("--ca-token-file") { Description = $"Service-account JWT sent to the CA [default: {DefaultTokenPath}]." };
    private readonly Option<string?> _certDir = new("--cert-dir") { Description = "Mounted workload certificates: cert-chain.pem, key.pem, root-cert.pem (re-read on change)." };
    private readonly Option<string?> _ttl = new("--cert-ttl") { Description = "Workload certificate lifetime, rotated at half-life [env SECRET_TTL; default: 24h]." };
    private readonly Option<string?> _keyAlgorithm = new("--key-algorithm") { Description = "RSA (2048) or ECDSA (P-256) [env ECC_SIGNATURE_ALGORITHM]." };

    public void AddTo(Command command)
    {
        _keyAlgorithm.AcceptOnlyFromAmong("RSA", "ECDSA");
        foreach (var option in new[] { _caDir, _caAddress, _caRoot, _token, _certDir, _ttl, _keyAlgorithm })
        {
            command.Options.Add(option);
        }

        _ttl.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && (!IstioDuration.TryParse(text, out var value, out var error) || value.ToTimeSpan() <= TimeSpan.Zero))
            {
                result.AddError($"--cert-ttl: {error ?? $"'{text}' must be positive"} (examples: 24h, 30s).");
            }
        });
    }

    public IdentitySettings Read(ParseResult parse, IstioEnvironment environment)
    {
        var address = parse.GetValue(_caAddress) ?? environment.Get("CA_ADDR");
        var ttl = parse.GetValue(_ttl) ?? environment.Get("SECRET_TTL");
        return new IdentitySettings
        {
            LocalCaDirectory = parse.GetValue(_caDir),
            CaAddress = address is null ? null : new Uri(address.Contains("://", StringComparison.Ordinal) ? address : $"https://{address}"),
            CaRootPath = parse.GetValue(_caRoot) ?? (File.Exists(DefaultCaRoot) ? DefaultCaRoot : null),
            TokenPath = parse.GetValue(_token) ?? DefaultTokenPath,
            CertificateDirectory = parse.GetValue(_certDir),
            Lifetime = ttl is not null && IstioDuration.TryParse(ttl, out var value, out _) ? value.ToTimeSpan() : TimeSpan.FromHours(24),
            KeyAlgorithm = KeyAlgorithms.FromIstioSetting(parse.GetValue(_keyAlgorithm) ?? environment.Get("ECC_SIGNATURE_ALGORITHM")),
        };
    }
}
