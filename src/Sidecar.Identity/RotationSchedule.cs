namespace Sidecar.Identity;

/// <summary>
/// When to renew a certificate: Istio's agent renews at <c>expiry - (0.5 ± 0.01) × lifetime</c> (half-life with a
/// little jitter, so sidecars that started together do not all call the CA at once).
/// </summary>
public static class RotationSchedule
{
    public const double GraceRatio = 0.5;
    public const double Jitter = 0.01;

    /// <summary>The moment to renew a certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    public static DateTimeOffset RenewAt(DateTimeOffset notBefore, DateTimeOffset notAfter, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var lifetime = notAfter - notBefore;
        var ratio = GraceRatio + ((random.NextDouble() * 2) - 1) * Jitter;
        return notAfter - lifetime * ratio;
    }
}
