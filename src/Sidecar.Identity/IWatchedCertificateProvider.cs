namespace Sidecar.Identity;

/// <summary>A provider whose source can change on its own (mounted files); the store re-fetches when it does.</summary>
public interface IWatchedCertificateProvider : ICertificateProvider
{
    event Action? Changed;
}
