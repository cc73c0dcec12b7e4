using System.Security.Cryptography;

namespace Sidecar.Identity;

/// <summary>The workload key type: Istio's default RSA 2048, or ECDSA P-256 with <c>ECC_SIGNATURE_ALGORITHM=ECDSA</c>.</summary>
public enum KeyAlgorithm
{
    Rsa2048,
    EcdsaP256,
}

/// <summary>Key creation and the signature settings that go with each key type.</summary>
public static class KeyAlgorithms
{
    /// <summary>Reads Istio's <c>ECC_SIGNATURE_ALGORITHM</c> value (<c>ECDSA</c>, case-insensitive); anything else is RSA.</summary>
    public static KeyAlgorithm FromIstioSetting(string? value) =>
        string.Equals(value, "ECDSA", StringComparison.OrdinalIgnoreCase) ? KeyAlgorithm.EcdsaP256 : KeyAlgorithm.Rsa2048;

    public static AsymmetricAlgorithm CreateKey(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        _ => RSA.Create(2048),
    };
}
